using System.Globalization;
using System.Text.Json;
using ArenaGrad.Distributions;

namespace ArenaGrad.Tests.Distributions;

/// <summary>Categorical, Normal and Bernoulli against torch.distributions (PyTorch 1.13): forward values and the
/// gradients of Σ w·output with respect to every parameter, from Golden/make_distributions.py.</summary>
public sealed class DistributionReferenceTests
{
    // The ops differ from PyTorch's in summation order and transcendental rounding: a few float ulp.
    private const double AbsoluteTolerance = 2e-6, RelativeTolerance = 1e-5;

    public sealed record DistributionCase(string Name, JsonElement Root)
    {
        public override string ToString() => Name;
    }

    internal static JsonElement Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", "distributions", file + ".json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    private static IEnumerable<DistributionCase> Cases(string file) =>
        Load(file).GetProperty("cases").EnumerateArray().Select(c => new DistributionCase(c.GetProperty("name").GetString()!, c));

    public static IEnumerable<DistributionCase> CategoricalCases() => Cases("categorical");
    public static IEnumerable<DistributionCase> NormalCases() => Cases("normal");
    public static IEnumerable<DistributionCase> BernoulliCases() => Cases("bernoulli");

    // make_distributions.py writes non-finite floats as "inf", "-inf" and "nan".
    private static float ParseFloat(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "inf" => float.PositiveInfinity, "-inf" => float.NegativeInfinity, _ => float.NaN }
        : e.GetSingle();

    private static float[] Data(JsonElement tensor) => tensor.GetProperty("data").EnumerateArray().Select(ParseFloat).ToArray();
    private static int[] Shape(JsonElement tensor) => tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static Tensor Float(Arena arena, JsonElement tensor, bool requiresGrad = false) =>
        arena.FromData(Data(tensor), Shape(tensor), requiresGrad);

    private static Tensor Int(Arena arena, JsonElement tensor) =>
        arena.FromData(tensor.GetProperty("data").EnumerateArray().Select(e => e.GetInt32()).ToArray(), Shape(tensor));

    private static void AssertMatches(Tensor actual, JsonElement expected, string what)
    {
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(Shape(expected)), $"{what}: shape");
        float[] got = actual.ToArray(), want = Data(expected);
        for (int i = 0; i < want.Length; i++)
        {
            if (float.IsNaN(want[i]) || float.IsInfinity(want[i]))
            {
                Assert.That(got[i], Is.EqualTo(want[i]), $"{what}[{i}]");
                continue;
            }
            double tolerance = AbsoluteTolerance + RelativeTolerance * Math.Abs(want[i]);
            Assert.That(got[i], Is.EqualTo(want[i]).Within(tolerance), $"{what}[{i}]");
        }
    }

    /// <summary>d Σ(w·output) / d inputs, w from the case; compared with the case's gradient, or null where PyTorch
    /// has none (the output does not depend on that input).</summary>
    private static void AssertGradients(JsonElement c, string key, Tensor output, params (Tensor Input, string Name)[] inputs)
    {
        Arena arena = output.Arena;
        Tensor w = Float(arena, c.GetProperty(key + "_weight"));
        Tensor[] ins = inputs.Select(i => i.Input).ToArray();
        Tensor?[] grads = Autograd.Grad([output], ins, [w], retainGraph: true, allowUnused: true);
        for (int i = 0; i < inputs.Length; i++)
        {
            JsonElement expected = c.GetProperty($"{key}_grad_{inputs[i].Name}");
            if (expected.ValueKind == JsonValueKind.Null)
                Assert.That(grads[i], Is.Null, $"{key}: PyTorch has no gradient for {inputs[i].Name}");
            else
            {
                Assert.That(grads[i], Is.Not.Null, $"{key}: gradient for {inputs[i].Name}");
                AssertMatches(grads[i]!.Value, expected, $"{key}: gradient for {inputs[i].Name}");
            }
        }
    }

    [TestCaseSource(nameof(CategoricalCases))]
    public void Categorical_ValuesAndGradients_MatchPyTorch(DistributionCase testCase)
    {
        JsonElement c = testCase.Root;
        using var arena = new Arena();
        Tensor logits = Float(arena, c.GetProperty("logits"), requiresGrad: true);
        var d = new Categorical(logits);
        Tensor logProb = d.LogProb(Int(arena, c.GetProperty("actions"))), entropy = d.Entropy();

        AssertMatches(d.Logits, c.GetProperty("logits_normalized"), "logits");
        AssertMatches(d.Probs, c.GetProperty("probs"), "probs");
        AssertMatches(logProb, c.GetProperty("log_prob"), "log_prob");
        AssertMatches(entropy, c.GetProperty("entropy"), "entropy");
        AssertGradients(c, "log_prob", logProb, (logits, "logits"));
        AssertGradients(c, "entropy", entropy, (logits, "logits"));
        AssertGradients(c, "probs", d.Probs, (logits, "logits"));
        AssertGradients(c, "logits_normalized", d.Logits, (logits, "logits"));
    }

    [TestCaseSource(nameof(NormalCases))]
    public void Normal_ValuesAndGradients_MatchPyTorch(DistributionCase testCase)
    {
        JsonElement c = testCase.Root;
        using var arena = new Arena();
        Tensor loc = Float(arena, c.GetProperty("loc"), requiresGrad: true), scale = Float(arena, c.GetProperty("scale"), requiresGrad: true);
        Tensor value = Float(arena, c.GetProperty("value"), requiresGrad: true);
        var d = new Normal(loc, scale);
        Tensor logProb = d.LogProb(value), entropy = d.Entropy();
        Tensor rsample = d.RSample(Float(arena, c.GetProperty("eps")));

        AssertMatches(d.Mean, c.GetProperty("mean"), "mean");
        AssertMatches(d.Stddev, c.GetProperty("stddev"), "stddev");
        AssertMatches(d.Variance, c.GetProperty("variance"), "variance");
        AssertMatches(logProb, c.GetProperty("log_prob"), "log_prob");
        AssertMatches(entropy, c.GetProperty("entropy"), "entropy");
        AssertMatches(rsample, c.GetProperty("rsample"), "rsample with the case's eps");
        AssertGradients(c, "log_prob", logProb, (loc, "loc"), (scale, "scale"), (value, "value"));
        AssertGradients(c, "entropy", entropy, (loc, "loc"), (scale, "scale"));
        AssertGradients(c, "rsample", rsample, (loc, "loc"), (scale, "scale"));
        AssertGradients(c, "stddev", d.Stddev, (loc, "loc"), (scale, "scale"));
        AssertGradients(c, "mean", d.Mean, (loc, "loc"), (scale, "scale"));
    }

    [TestCaseSource(nameof(BernoulliCases))]
    public void Bernoulli_ValuesAndGradients_MatchPyTorch(DistributionCase testCase)
    {
        JsonElement c = testCase.Root;
        using var arena = new Arena();
        Tensor logits = Float(arena, c.GetProperty("logits"), requiresGrad: true);
        var d = new Bernoulli(logits);
        Tensor logProb = d.LogProb(Float(arena, c.GetProperty("value"))), entropy = d.Entropy();

        AssertMatches(d.Probs, c.GetProperty("probs"), "probs");
        AssertMatches(d.Logits, c.GetProperty("logits_out"), "logits");
        AssertMatches(d.Mean, c.GetProperty("mean"), "mean");
        AssertMatches(d.Stddev, c.GetProperty("stddev"), "stddev");
        AssertMatches(d.Variance, c.GetProperty("variance"), "variance");
        AssertMatches(logProb, c.GetProperty("log_prob"), "log_prob");
        AssertMatches(entropy, c.GetProperty("entropy"), "entropy");
        AssertGradients(c, "log_prob", logProb, (logits, "logits"));
        AssertGradients(c, "entropy", entropy, (logits, "logits"));
        AssertGradients(c, "probs", d.Probs, (logits, "logits"));
        AssertGradients(c, "stddev", d.Stddev, (logits, "logits"));
    }

    [Test]
    public void NormalLogProb_GradientWithRespectToTheValue_MatchesPyTorch()
    {
        foreach (DistributionCase testCase in NormalCases())
        {
            JsonElement c = testCase.Root;
            using var arena = new Arena();
            Tensor value = Float(arena, c.GetProperty("value"), requiresGrad: true);
            var d = new Normal(Float(arena, c.GetProperty("loc")), Float(arena, c.GetProperty("scale")));
            Tensor logProb = d.LogProb(value);
            Tensor grad = Autograd.Grad([logProb], [value], [Float(arena, c.GetProperty("log_prob_weight"))])[0]!.Value;
            AssertMatches(grad, c.GetProperty("log_prob_grad_value"), $"{testCase.Name}: d log_prob / d value");
        }
    }

    public static IEnumerable<DistributionCase> ErrorCases() => Cases("errors");

    /// <summary>Each error case of errors.json, built here with the same inputs as in the script.</summary>
    [TestCaseSource(nameof(ErrorCases))]
    public void Validation_ThrowsPyTorchsMessage_AndLeavesTheArenaAsItWas(DistributionCase testCase)
    {
        using var arena = new Arena();
        float nan = float.NaN;
        Tensor F(float[] data, int[] shape, bool requiresGrad = false) => arena.FromData(data, shape, requiresGrad);
        Tensor I(params int[] data) => arena.FromData(data);
        Tensor zeros23 = arena.Zeros([2, 3]);
        Categorical cat23 = new(zeros23);
        Normal normal3 = new(arena.Zeros([3]), arena.Ones([3])), normal2 = new(arena.Zeros([2]), arena.Ones([2]));
        Bernoulli bernoulli3 = new(F([0f, 1f, 2f], [3])), bernoulli2 = new(F([0f, 1f], [2])), bernoulli23 = new(arena.Zeros([2, 3]));
        // Inputs are made before the count is taken, so only what the failing call itself made would show.
        Func<object> call = testCase.Name switch
        {
            "categorical NaN logits" => Build(F([1f, 2f, nan, 0f, 1f, 2f], [2, 3], true), x => new Categorical(x)),
            "categorical scalar logits" => Build(arena.Scalar(1f), x => new Categorical(x)),
            "categorical action out of range" => Build(I(0, 3), cat23.LogProb),
            "categorical negative action" => Build(I(-1, 0), cat23.LogProb),
            "categorical scalar action out of range" => Build(arena.FromData([3], []), cat23.LogProb),
            "categorical fractional action" => Build(F([0.5f, 1f], [2]), cat23.LogProb),
            "categorical actions not broadcastable" => Build(I(0, 1, 2), cat23.LogProb),
            "normal NaN loc" => BuildNormal(F([0f, nan], [2]), F([1f, 1f], [2])),
            "normal negative scale" => BuildNormal(F([0f, 1f], [2]), F([1f, -1f], [2], true)),
            "normal NaN scale" => BuildNormal(F([0f, 1f], [2]), F([nan, 1f], [2])),
            "normal zero scalar scale" => BuildNormal(arena.Scalar(0f), arena.Scalar(0f)),
            "normal zero scale of one element" => BuildNormal(F([0f], [1]), F([0f], [1])),
            "normal shapes not broadcastable" => BuildNormal(F([0f, 1f], [2]), F([1f, 1f, 1f], [3])),
            "normal NaN value" => Build(F([nan, 1f, 2f], [3]), normal3.LogProb),
            "normal NaN scalar value" => Build(arena.Scalar(nan), normal2.LogProb),
            "normal value not broadcastable" => Build(arena.Zeros([4]), normal3.LogProb),
            "bernoulli NaN logits" => Build(F([0f, nan], [2]), x => new Bernoulli(x)),
            "bernoulli value not 0 or 1" => Build(F([0f, 1f, 2f], [3]), bernoulli3.LogProb),
            "bernoulli value one half" => Build(F([0.5f, 1f], [2]), bernoulli2.LogProb),
            "bernoulli value not broadcastable" => Build(arena.Zeros([2]), bernoulli23.LogProb),
            var other => throw new ArgumentException($"no C# inputs for error case '{other}'"),
        };
        int tensors = arena.TensorCount, tape = arena.TapeLength;
        var thrown = Assert.Throws<ArgumentException>(() => call())!;
        string message = thrown.ParamName is string name ? thrown.Message.Replace($" (Parameter '{name}')", "") : thrown.Message;
        Assert.That(message, Is.EqualTo(testCase.Root.GetProperty("message").GetString()));
        Assert.That((arena.TensorCount, arena.TapeLength), Is.EqualTo((tensors, tape)), "nothing is left half-made");

        static Func<object> Build<T>(Tensor input, Func<Tensor, T> make) => () => make(input)!;
        static Func<object> BuildNormal(Tensor loc, Tensor scale) => () => new Normal(loc, scale);
    }
}
