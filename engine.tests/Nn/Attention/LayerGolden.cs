using System.Text.Json;

namespace ArenaGrad.Tests.Nn.Attention;

/// <summary>The cases of Golden/layers/attention (make_layers_attention.py, PyTorch 1.13): tensors as
/// {shape, dtype, data}, parameters by name, upstream gradients, outputs and gradients.</summary>
public static class LayerGolden
{
    /// <summary>The root of Golden/layers/attention/<paramref name="file"/>.json.</summary>
    public static JsonElement Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", "layers", "attention", file + ".json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    /// <summary>Every case of a family file, by name, for [TestCaseSource].</summary>
    public static IEnumerable<TestCaseData> Cases(string file) =>
        Load(file).GetProperty("cases").EnumerateArray().Select(c => new TestCaseData(c).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    /// <summary>The shape of a stored tensor.</summary>
    public static int[] Shape(JsonElement tensor) => tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>The float data of a stored tensor.</summary>
    public static float[] Floats(JsonElement tensor) => tensor.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    /// <summary>A stored tensor made in <paramref name="arena"/>: Bool or Float32 (requiring grad when asked).</summary>
    public static Tensor Make(Arena arena, JsonElement tensor, bool requiresGrad = false)
    {
        int[] shape = Shape(tensor);
        if (tensor.GetProperty("dtype").GetString() == "bool")
            return arena.FromData(tensor.GetProperty("data").EnumerateArray().Select(e => e.GetBoolean()).ToArray(), shape);
        return arena.FromData(Floats(tensor), shape, requiresGrad);
    }

    /// <summary>Copies the case's parameters into the module's, by name; every parameter must be present.</summary>
    public static void LoadParameters(ArenaGrad.Nn.Module module, JsonElement golden)
    {
        JsonElement stored = golden.GetProperty("params");
        int count = 0;
        foreach (var parameter in module.NamedParameters())
        {
            Assert.That(stored.TryGetProperty(parameter.Name, out JsonElement value), Is.True, $"PyTorch has no parameter {parameter.Name}");
            Assert.That(parameter.Value.Shape.ToArray(), Is.EqualTo(Shape(value)), parameter.Name);
            using (parameter.Value.Arena.NoGrad()) parameter.Value.CopyFrom(Floats(value));
            count++;
        }
        Assert.That(module.NamedParameters().Select(p => p.Name), Is.EqualTo(stored.EnumerateObject().Select(p => p.Name)),
            "the same parameters as PyTorch's named_parameters(), in its order");
    }

    /// <summary>Asserts |actual − expected| ≤ abs + rel·|expected| elementwise (NaN matches NaN), and the shape.</summary>
    public static void Near(Tensor actual, JsonElement expected, double abs, double rel, string what)
    {
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(Shape(expected)), what + " shape");
        float[] a = actual.ToArray(), e = Floats(expected);
        for (int i = 0; i < a.Length; i++)
        {
            if (float.IsNaN(e[i])) { Assert.That(float.IsNaN(a[i]), Is.True, $"{what}[{i}]: expected NaN, got {a[i]}"); continue; }
            Assert.That(a[i], Is.EqualTo(e[i]).Within(abs + rel * Math.Abs(e[i])), $"{what}[{i}]");
        }
    }

    /// <summary>Σ output·upstream, the loss every case differentiates.</summary>
    public static Tensor Loss(Arena arena, Tensor output, JsonElement upstream) => (output * Make(arena, upstream)).Sum();
}
