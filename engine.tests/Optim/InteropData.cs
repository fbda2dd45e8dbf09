using System.Text.Json;
using ArenaGrad.Nn;

namespace ArenaGrad.Tests.Optim;

/// <summary>Reads engine.tests/Interop/data (PyTorch 1.13.1 reference runs) and compares within float32 tolerance.</summary>
internal static class InteropData
{
    /// <summary>|actual − expected| ≤ Absolute + Relative·|expected| (Interop/README.md: a few ulp relative, 1e-6 absolute near zero).</summary>
    public const double Absolute = 1e-6, Relative = 1e-5;

    /// <summary>Absolute tolerance for parameters after 25 Adam/AdamW steps. Adam divides m by √v: for a weight whose gradient
    /// is tiny (|g| near ε) the last bits of g, which differ between two machines' GEMMs (by up to ~6e-9 absolute in
    /// mlp_case's gradients), move it by up to lr every step. Measured with PyTorch 1.13.1 on this machine: its own float32
    /// run ends 1.6e-6 from the reference file, and adding N(0, 1e-9) noise to its gradients moves that to 4.2e-6.
    /// ArenaGrad ends at most 8.1e-6 away (adamw_clip, 2.weight). SGD runs stay within the default tolerance.</summary>
    public const double AdamParameterAbsolute = 1e-5;

    public static JsonElement Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Interop", "data", file))).RootElement;

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>The model of every interop file: Linear(6,16), Tanh, Linear(16,16), ReLU, Linear(16,3).</summary>
    public static Sequential Model(Arena arena) =>
        new(new Linear(arena, 6, 16), new Tanh(), new Linear(arena, 16, 16), new Relu(), new Linear(arena, 16, 3));

    /// <summary>The named tensors of a "start"/"final" object (flat lists), shaped like the model's parameters.</summary>
    public static Dictionary<string, Tensor> State(Arena arena, Module model, JsonElement state)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (NamedTensor parameter in model.NamedParameters())
            result[parameter.Name] = arena.FromData(Floats(state.GetProperty(parameter.Name)), parameter.Value.Shape);
        return result;
    }

    /// <summary>The input [8, 6] and targets of mlp_case.json (the optimizer runs use the same).</summary>
    public static (Tensor Input, int[] Targets) Batch(Arena arena)
    {
        JsonElement mlpCase = Load("mlp_case.json");
        JsonElement input = mlpCase.GetProperty("input");
        return (arena.FromData(Floats(input.GetProperty("data")), Ints(input.GetProperty("shape"))), Ints(mlpCase.GetProperty("targets")));
    }

    /// <summary>Largest |a − e| / (absolute + relative·|e|): at most 1 means within tolerance.</summary>
    public static double WorstRatio(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double absolute = Absolute, double relative = Relative)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), "element count");
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / (absolute + relative * Math.Abs(expected[i])));
        return worst;
    }

    /// <summary>Largest relative difference |a − e| / max(|e|, 1e-30), for reporting.</summary>
    public static double MaxRelative(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), 1e-30));
        return worst;
    }

    /// <summary>Largest |a − e|, for reporting.</summary>
    public static double MaxAbsolute(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        double worst = 0;
        for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        return worst;
    }

    /// <summary>Asserts |a − e| ≤ absolute + relative·|e| for every element, naming what is compared; writes the worst
    /// differences to the test output.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, string what,
        double absolute = Absolute, double relative = Relative)
    {
        double ratio = WorstRatio(actual, expected, absolute, relative);
        TestContext.Out.WriteLine(FormattableString.Invariant(
            $"{what}: max |diff| {MaxAbsolute(actual, expected):0.00e+00}, max rel {MaxRelative(actual, expected):0.00e+00}, worst/tolerance {ratio:0.000}"));
        Assert.That(ratio, Is.LessThanOrEqualTo(1.0), FormattableString.Invariant($"{what}: beyond |diff| <= {absolute} + {relative}*|expected|"));
    }
}
