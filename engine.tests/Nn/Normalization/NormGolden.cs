using System.Text.Json;

namespace ArenaGrad.Tests.Nn.Normalization;

/// <summary>Golden/layers/norm/norm.json (make_layers_norm.py, PyTorch 1.13): tensors as {shape, data}.</summary>
internal static class NormGolden
{
    private static JsonElement? _root;

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Golden", "layers", "norm");

    public static JsonElement Root => _root ??= JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "norm.json"))).RootElement;

    public static IEnumerable<TestCaseData> Cases(string family) =>
        Root.GetProperty(family).EnumerateArray().Select(c => new TestCaseData(c.GetProperty("name").GetString()!).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    public static JsonElement Case(string family, string name) =>
        Root.GetProperty(family).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static int[] Shape(JsonElement t) => t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static float[] Data(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    public static int[] Ints(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static Tensor Float(Arena arena, JsonElement t, bool requiresGrad = false) => arena.FromData(Data(t), Shape(t), requiresGrad);

    public static Tensor Int(Arena arena, JsonElement t) => arena.FromData(Ints(t), Shape(t));

    /// <summary>|actual − expected| ≤ atol + rtol·|expected| elementwise, with the same shape.</summary>
    public static void Close(Tensor actual, JsonElement expected, double atol, double rtol, string what)
    {
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(Shape(expected)), $"{what}: shape");
        Close(actual.ToArray(), Data(expected), atol, rtol, what);
    }

    public static void Close(float[] actual, float[] expected, double atol, double rtol, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < actual.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(atol + rtol * Math.Abs(expected[i])), $"{what}[{i}]");
    }
}
