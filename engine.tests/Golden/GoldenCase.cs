using System.Text.Json;

namespace ArenaGrad.Tests.Golden;

/// <summary>One PyTorch reference program from Golden/data or Golden/extra (format in Golden/README.md).</summary>
public sealed class GoldenCase
{
    public required string Name { get; init; }
    public required JsonElement Root { get; init; }

    public override string ToString() => Name;

    /// <summary>Every case file of Golden/<paramref name="folder"/> ("data": shared set; "extra": make_extra.py), for [TestCaseSource].</summary>
    public static IEnumerable<GoldenCase> All(string folder) => All(folder, "");

    /// <summary>Every case of every family under Golden/ops (make_ops_&lt;family&gt;.py), named family/case.</summary>
    public static IEnumerable<GoldenCase> AllOps() => AllFamilies("ops");

    /// <summary>Every case of every family under Golden/<paramref name="folder"/> ("ops", or "double":
    /// make_double_&lt;family&gt;.py), named family/case.</summary>
    public static IEnumerable<GoldenCase> AllFamilies(string folder)
    {
        string root = Path.Combine(AppContext.BaseDirectory, "Golden", folder);
        if (!Directory.Exists(root)) yield break;
        foreach (string family in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            foreach (GoldenCase golden in All(Path.Combine(folder, Path.GetFileName(family)), Path.GetFileName(family) + "/"))
                yield return golden;
    }

    private static IEnumerable<GoldenCase> All(string folder, string prefix)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "Golden", folder);
        foreach (string file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
            yield return new GoldenCase { Name = prefix + Path.GetFileNameWithoutExtension(file), Root = document.RootElement.Clone() };
        }
    }
}
