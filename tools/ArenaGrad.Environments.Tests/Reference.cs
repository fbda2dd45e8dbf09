using System.Text.Json;

namespace ArenaGrad.Environments.Tests;

/// <summary>reference.json, written by make_reference.py from gym 0.26's classic-control equations with numpy.</summary>
internal static class Reference
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    /// <summary>The cases of one section, as NUnit test case data named after each case.</summary>
    public static IEnumerable<TestCaseData> Cases(string section) =>
        Root.GetProperty(section).EnumerateArray()
            .Select(c => new TestCaseData(c.GetProperty("name").GetString()!).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    public static JsonElement Case(string section, string name) =>
        Root.GetProperty(section).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>The seeds of the "generator" section, as NUnit test case data named "seed S".</summary>
    public static IEnumerable<TestCaseData> GeneratorCases() =>
        Root.GetProperty("generator").EnumerateArray()
            .Select(g => new TestCaseData(g.GetProperty("seed").GetString()!).SetArgDisplayNames("seed " + g.GetProperty("seed").GetString()));

    /// <summary>The "generator" entry for <paramref name="seed"/>: its env count and each environment's first resets.</summary>
    public static JsonElement Generator(string seed) =>
        Root.GetProperty("generator").EnumerateArray().Single(g => g.GetProperty("seed").GetString() == seed);

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static double[][] Rows(JsonElement array) => array.EnumerateArray().Select(Doubles).ToArray();
}
