using System.Text.Json;

namespace ArenaGrad.Tests.Nn.Recurrent;

/// <summary>Reads engine.tests/Golden/layers/recurrent (made by Golden/make_layers_recurrent.py with PyTorch 1.13).</summary>
internal static class RecurrentGolden
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Golden", "layers", "recurrent", file);

    public static JsonElement Root(string file) => JsonDocument.Parse(File.ReadAllText(PathOf(file))).RootElement;

    public static JsonElement[] Cases(string file) => [.. Root(file).GetProperty("cases").EnumerateArray()];

    public static float[] Data(JsonElement entry) => [.. entry.GetProperty("data").EnumerateArray().Select(e => e.GetSingle())];

    public static int[] Shape(JsonElement entry) => [.. entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];

    /// <summary>The entry as a tensor of <paramref name="arena"/>.</summary>
    public static Tensor Load(Arena arena, JsonElement entry, bool requiresGrad = false) =>
        arena.FromData(Data(entry), Shape(entry), requiresGrad);

    /// <summary>The case's "params" as a state dict.</summary>
    public static Dictionary<string, Tensor> StateDict(Arena arena, JsonElement parameters) =>
        parameters.EnumerateObject().ToDictionary(p => p.Name, p => Load(arena, p.Value));

    /// <summary>|actual − expected| ≤ 1e-5 + 1e-4·|expected| element by element, shapes equal.</summary>
    public static void AssertClose(Tensor actual, JsonElement expected, string what)
    {
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(Shape(expected)), what + " shape");
        float[] a = actual.ToArray(), e = Data(expected);
        for (int i = 0; i < e.Length; i++)
            Assert.That(a[i], Is.EqualTo(e[i]).Within(1e-5 + 1e-4 * Math.Abs(e[i])), $"{what}[{i}]");
    }
}
