using System.Text.Json;

namespace ArenaGrad.Tests.Losses;

/// <summary>Every loss against PyTorch 1.13: Interop/data/losses.json (the shared reference: mean and sum of
/// each loss on one [6,4] input) and Losses/data/losses_extra.json (make_losses_extra.py: no reduction with an
/// upstream gradient, target gradients, ignore_index, label smoothing, ties at β and δ, [C] inputs).</summary>
public sealed class LossReferenceTests
{
    // Float32 tolerance as the interop README asks: a few ulp relative, or 1e-6 absolute near zero.
    private const double AbsoluteTolerance = 1e-6, RelativeTolerance = 4e-7;

    public sealed record LossCase(string Name, JsonElement Root)
    {
        public override string ToString() => Name;
    }

    private static JsonElement Load(params string[] path)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine([AppContext.BaseDirectory, .. path])));
        return document.RootElement.Clone();
    }

    public static IEnumerable<LossCase> InteropCases()
    {
        foreach (JsonElement c in Load("Interop", "data", "losses.json").GetProperty("cases").EnumerateArray())
            yield return new LossCase($"{c.GetProperty("loss").GetString()} {c.GetProperty("reduction").GetString()}", c);
    }

    public static IEnumerable<LossCase> ExtraCases()
    {
        foreach (JsonElement c in Load("Losses", "data", "losses_extra.json").GetProperty("cases").EnumerateArray())
            yield return new LossCase(c.GetProperty("name").GetString()!, c);
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();
    // make_losses_extra.py writes NaN as null (JSON has no NaN).
    private static double[] Doubles(JsonElement array) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble()).ToArray();
    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static Reduction ParseReduction(string? name) => name switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => throw new ArgumentException($"unknown reduction {name}"),
    };

    [TestCaseSource(nameof(InteropCases))]
    public void Loss_MatchesPyTorchInteropValueAndInputGradient(LossCase lossCase)
    {
        JsonElement root = Load("Interop", "data", "losses.json"), c = lossCase.Root;
        using var arena = new Arena();
        Tensor input = arena.FromData(Floats(root.GetProperty("input").GetProperty("data")), [6, 4], requiresGrad: true);
        Reduction reduction = ParseReduction(c.GetProperty("reduction").GetString());
        string target = c.GetProperty("target").GetString()!;
        Tensor TargetTensor() => arena.FromData(Floats(root.GetProperty(target).GetProperty("data")), [6, 4]);
        int[] classes = Ints(root.GetProperty("classes"));
        Tensor loss = c.GetProperty("loss").GetString() switch
        {
            "binary_cross_entropy_with_logits" => Functional.BinaryCrossEntropyWithLogits(input, TargetTensor(), reduction),
            "smooth_l1_loss beta=0.5" => Functional.SmoothL1Loss(input, TargetTensor(), 0.5f, reduction),
            "huber_loss delta=1.5" => Functional.HuberLoss(input, TargetTensor(), 1.5f, reduction),
            "l1_loss" => Functional.L1Loss(input, TargetTensor(), reduction),
            "mse_loss" => Functional.MseLoss(input, TargetTensor(), reduction),
            "nll_loss(log_softmax(input))" => Functional.NllLoss(input.LogSoftmax(1), classes, reduction),
            "cross_entropy label_smoothing=0.1" => Functional.CrossEntropy(input, classes, reduction, labelSmoothing: 0.1f),
            var other => throw new ArgumentException($"unknown loss {other}"),
        };
        loss.Backward();

        AssertClose([loss.Item()], [c.GetProperty("value").GetDouble()], $"{lossCase.Name}: value");
        AssertClose(input.Grad!.Value.ToArray(), Doubles(c.GetProperty("input_grad")), $"{lossCase.Name}: input gradient");
    }

    [TestCaseSource(nameof(ExtraCases))]
    public void Loss_MatchesPyTorchExtraCase(LossCase lossCase)
    {
        JsonElement c = lossCase.Root;
        using var arena = new Arena();
        int[] shape = Ints(c.GetProperty("input").GetProperty("shape"));
        Tensor input = arena.FromData(Floats(c.GetProperty("input").GetProperty("data")), shape, requiresGrad: true);
        bool targetGrad = c.TryGetProperty("target_grad", out JsonElement expectedTargetGrad);
        Tensor? target = c.TryGetProperty("target", out JsonElement targetData)
            ? arena.FromData(Floats(targetData), shape, requiresGrad: targetGrad)
            : null;
        int[] classes = c.TryGetProperty("classes", out JsonElement classData) ? Ints(classData) : [];
        Reduction reduction = ParseReduction(c.GetProperty("reduction").GetString());
        JsonElement kwargs = c.GetProperty("kwargs");
        float Kwarg(string name, float fallback) => kwargs.TryGetProperty(name, out JsonElement v) ? v.GetSingle() : fallback;
        int ignoreIndex = kwargs.TryGetProperty("ignore_index", out JsonElement ignore) ? ignore.GetInt32() : Functional.DefaultIgnoreIndex;

        Tensor loss = c.GetProperty("loss").GetString() switch
        {
            "mse_loss" => Functional.MseLoss(input, target!.Value, reduction),
            "l1_loss" => Functional.L1Loss(input, target!.Value, reduction),
            "smooth_l1_loss" => Functional.SmoothL1Loss(input, target!.Value, Kwarg("beta", 1f), reduction),
            "huber_loss" => Functional.HuberLoss(input, target!.Value, Kwarg("delta", 1f), reduction),
            "binary_cross_entropy_with_logits" => Functional.BinaryCrossEntropyWithLogits(input, target!.Value, reduction),
            "nll_loss_over_log_softmax" => Functional.NllLoss(input.LogSoftmax(-1), classes, reduction, ignoreIndex),
            "cross_entropy" => Functional.CrossEntropy(input, classes, reduction, Kwarg("label_smoothing", 0f), ignoreIndex),
            var other => throw new ArgumentException($"unknown loss {other}"),
        };
        int[] valueShape = Ints(c.GetProperty("value").GetProperty("shape"));
        Assert.That(loss.Shape.ToArray(), Is.EqualTo(valueShape), "loss shape");
        Assert.That(loss.GradFn, Is.EqualTo(c.GetProperty("grad_fn").GetString()), "grad_fn name");
        float[] upstream = Floats(c.GetProperty("upstream"));
        loss.Backward(reduction == Reduction.None ? arena.FromData(upstream, valueShape) : null);

        AssertClose(loss.ToArray(), Doubles(c.GetProperty("value").GetProperty("data")), $"{lossCase.Name}: value");
        AssertClose(input.Grad!.Value.ToArray(), Doubles(c.GetProperty("input_grad")), $"{lossCase.Name}: input gradient");
        if (targetGrad)
            AssertClose(target!.Value.Grad!.Value.ToArray(), Doubles(expectedTargetGrad), $"{lossCase.Name}: target gradient");
    }

    internal static void AssertClose(float[] got, double[] expected, string what)
    {
        Assert.That(got, Has.Length.EqualTo(expected.Length), what + ": length");
        double worstAbsolute = 0, worstUlps = 0;
        for (int i = 0; i < got.Length; i++)
        {
            if (double.IsNaN(expected[i])) continue;
            double error = Math.Abs(got[i] - expected[i]);
            worstAbsolute = Math.Max(worstAbsolute, error);
            worstUlps = Math.Max(worstUlps, error / Math.Max(MathF.BitIncrement(MathF.Abs((float)expected[i])) - MathF.Abs((float)expected[i]), 1e-45f));
        }
        TestContext.Out.WriteLine($"{what}: worst absolute error {worstAbsolute:G3}, worst {worstUlps:F1} ulp");
        for (int i = 0; i < got.Length; i++)
        {
            if (double.IsNaN(expected[i]))
            {
                Assert.That(float.IsNaN(got[i]), Is.True, $"{what}[{i}]: expected NaN, got {got[i]}");
                continue;
            }
            double tolerance = AbsoluteTolerance + RelativeTolerance * Math.Abs(expected[i]);
            Assert.That((double)got[i], Is.EqualTo(expected[i]).Within(tolerance), $"{what}[{i}]");
        }
    }
}
