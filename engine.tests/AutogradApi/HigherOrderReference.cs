using System.Text.Json;

namespace ArenaGrad.Tests.AutogradApi;

/// <summary>Reads Golden/higher/*.json (PyTorch 1.13's values; see the generating script named in each test).</summary>
internal static class HigherOrderReference
{
    public static JsonElement Load(string file)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "higher", file)));
        return document.RootElement.Clone();
    }

    public static float[] Floats(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();

    public static void AssertClose(float[] actual, float[] expected, string what, float tolerance = 1e-5f)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < actual.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tolerance + 1e-5f * Math.Abs(expected[i])), $"{what}[{i}]");
    }
}
