using System.Text.Json;

namespace ArenaGrad.Tests.Golden;

/// <summary>One PyTorch reference program from Golden/data (format in Golden/README.md).</summary>
public sealed class GoldenCase
{
    public required string Name { get; init; }
    public required JsonElement Root { get; init; }

    public override string ToString() => Name;

    public static string DataDirectory => Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", "data");

    /// <summary>Every case file, for [TestCaseSource].</summary>
    public static IEnumerable<GoldenCase> All()
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "Golden", "data");
        foreach (string file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
            yield return new GoldenCase { Name = Path.GetFileNameWithoutExtension(file), Root = document.RootElement.Clone() };
        }
    }
}
