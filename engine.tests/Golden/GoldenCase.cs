using System.Text.Json;

namespace ArenaGrad.Tests.Golden;

/// <summary>One PyTorch reference program from Golden/data or Golden/extra (format in Golden/README.md).</summary>
public sealed class GoldenCase
{
    public required string Name { get; init; }
    public required JsonElement Root { get; init; }

    public override string ToString() => Name;

    /// <summary>Every case file of Golden/<paramref name="folder"/> ("data": shared set; "extra": make_extra.py), for [TestCaseSource].</summary>
    public static IEnumerable<GoldenCase> All(string folder)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "Golden", folder);
        foreach (string file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
            yield return new GoldenCase { Name = Path.GetFileNameWithoutExtension(file), Root = document.RootElement.Clone() };
        }
    }
}
