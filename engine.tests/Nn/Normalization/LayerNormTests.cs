using System.Text.Json;
using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Tests.Nn.Attention;
using static ArenaGrad.Tests.Nn.Attention.LayerGolden;

namespace ArenaGrad.Tests.Nn.Normalization;

/// <summary>nn.LayerNorm and F.layer_norm against PyTorch 1.13 (Golden/layers/attention, make_layers_attention.py):
/// values, every gradient, the repr and grad_fn, the graph rule against the fused one, second derivatives.</summary>
public sealed class LayerNormTests
{
    private const double Abs = 1e-5, Rel = 1e-4;

    private static IEnumerable<TestCaseData> Golden() => Cases("layernorm");

    private static IEnumerable<TestCaseData> DoubleGolden() => Cases("layernorm_double");

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [TestCaseSource(nameof(Golden))]
    public void Module_MatchesPyTorch_ValuesGradientsReprAndGradFn(JsonElement golden)
    {
        using var arena = new Arena();
        JsonElement options = golden.GetProperty("options");
        var layer = new LayerNorm(arena, Ints(options.GetProperty("normalized_shape")), options.GetProperty("eps").GetSingle(),
            options.GetProperty("elementwise_affine").GetBoolean());
        LoadParameters(layer, golden);
        Tensor x = Make(arena, golden.GetProperty("inputs").GetProperty("input"), requiresGrad: true);
        Tensor y = layer.Forward(x);
        Assert.That(y.GradFn, Is.EqualTo(golden.GetProperty("grad_fn").GetString()));
        Near(y, golden.GetProperty("outputs").GetProperty("output"), Abs, Rel, "output");
        Loss(arena, y, golden.GetProperty("upstream").GetProperty("output")).Backward();
        JsonElement grads = golden.GetProperty("grads");
        Near(x.Grad!.Value, grads.GetProperty("input:input"), Abs, Rel, "input grad");
        foreach (var p in layer.NamedParameters()) Near(p.Value.Grad!.Value, grads.GetProperty("param:" + p.Name), Abs, Rel, p.Name + " grad");
        Assert.That(layer.ToString(), Is.EqualTo(golden.GetProperty("repr").GetString()));
    }

    [TestCaseSource(nameof(Golden))]
    public void GraphRule_GivesTheFusedRulesGradients(JsonElement golden)
    {
        using var arena = new Arena();
        JsonElement options = golden.GetProperty("options");
        int[] normalized = Ints(options.GetProperty("normalized_shape"));
        var layer = new LayerNorm(arena, normalized, options.GetProperty("eps").GetSingle(), options.GetProperty("elementwise_affine").GetBoolean());
        LoadParameters(layer, golden);
        Tensor x = Make(arena, golden.GetProperty("inputs").GetProperty("input"), requiresGrad: true);
        Tensor up = Make(arena, golden.GetProperty("upstream").GetProperty("output"));
        Tensor loss = (layer.Forward(x) * up).Sum();
        Tensor[] wrt = [x, .. layer.Parameters()];
        Tensor?[] graph = Autograd.Grad([loss], wrt, retainGraph: true);
        loss.Backward();
        for (int i = 0; i < wrt.Length; i++)
        {
            float[] fused = wrt[i].Grad!.Value.ToArray(), composed = graph[i]!.Value.ToArray();
            for (int j = 0; j < fused.Length; j++)
                Assert.That(composed[j], Is.EqualTo(fused[j]).Within(2e-5 + 1e-4 * Math.Abs(fused[j])), $"input {i} element {j}");
        }
    }

    [TestCaseSource(nameof(DoubleGolden))]
    public void SecondDerivatives_MatchPyTorch(JsonElement golden)
    {
        using var arena = new Arena();
        int[] normalized = Ints(golden.GetProperty("normalized_shape"));
        Tensor x = Make(arena, golden.GetProperty("x"), requiresGrad: true);
        bool affine = golden.GetProperty("w").ValueKind != JsonValueKind.Null;
        Tensor? w = affine ? Make(arena, golden.GetProperty("w"), requiresGrad: true) : null;
        Tensor? b = affine ? Make(arena, golden.GetProperty("b"), requiresGrad: true) : null;
        Tensor y = Functional.LayerNorm(x, normalized, w, b);
        Tensor[] wrt = affine ? [x, w!.Value, b!.Value] : [x];
        Tensor?[] first = Autograd.Grad([(y * Make(arena, golden.GetProperty("u"))).Sum()], wrt, createGraph: true);
        JsonElement[] v = golden.GetProperty("v").EnumerateArray().ToArray(), expectedFirst = golden.GetProperty("first").EnumerateArray().ToArray();
        Tensor loss2 = arena.Scalar(0f);
        for (int i = 0; i < wrt.Length; i++)
        {
            Near(first[i]!.Value, expectedFirst[i], 2e-5, 1e-4, $"first derivative {i}");
            loss2 = loss2 + (first[i]!.Value * Make(arena, v[i])).Sum();
        }
        Tensor?[] second = Autograd.Grad([loss2], wrt, allowUnused: true);
        JsonElement[] expected = golden.GetProperty("second").EnumerateArray().ToArray();
        for (int i = 0; i < wrt.Length; i++)
        {
            if (expected[i].ValueKind == JsonValueKind.Null) { Assert.That(second[i], Is.Null, $"second derivative {i}"); continue; }
            Near(second[i]!.Value, expected[i], 1e-4, 1e-3, $"second derivative {i}");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void GradCheck_AgainstFiniteDifferences(bool affine)
    {
        var random = new Random(3);
        using var arena = new Arena();
        Tensor R(params int[] shape) =>
            arena.FromData(Enumerable.Range(0, shape.Aggregate(1, (p, s) => p * s)).Select(_ => (float)(random.NextDouble() * 3 - 1.5)).ToArray(), shape, true);
        Tensor[] inputs = affine ? [R(2, 3, 4), R(3, 4), R(3, 4)] : [R(3, 5)];
        GradCheckResult result = affine
            ? Autograd.GradCheck(t => (Functional.LayerNorm(t[0], [3, 4], t[1], t[2]) * t[0]).Sum(), inputs, epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2)
            : Autograd.GradCheck(t => Functional.LayerNorm(t[0], [5]).Square().Sum() + Functional.LayerNorm(t[0], [5]).Select(1, 2).Sum(), inputs,
                epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void Repr_AsPyTorch_ForSeveralDimsWithoutAffine()
    {
        using var arena = new Arena();
        JsonElement reprs = Load("reprs_and_errors").GetProperty("reprs");
        Assert.That(new LayerNorm(arena, [2, 3, 4], 1e-6f, elementwiseAffine: false).ToString(), Is.EqualTo(reprs.GetProperty("repr_layernorm_3").GetString()));
    }

    [Test]
    public void Constructor_OnesAndZeros_NamedWeightAndBias_NoneWithoutAffine()
    {
        using var arena = new Arena();
        var layer = new LayerNorm(arena, [2, 3]);
        Assert.That(layer.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias" }));
        Assert.That(layer.Weight!.Value.ToArray(), Is.All.EqualTo(1f));
        Assert.That(layer.Bias!.Value.ToArray(), Is.All.EqualTo(0f));
        Assert.That(layer.Weight!.Value.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(new LayerNorm(arena, [4], elementwiseAffine: false).Parameters(), Is.Empty);
    }

    [TestCase("layernorm_shape")]
    [TestCase("layernorm_empty")]
    [TestCase("layernorm_weight")]
    public void Errors_ArePyTorchsMessages_AndLeaveTheArenaAsItWas(string key)
    {
        using var arena = new Arena();
        string expected = Load("reprs_and_errors").GetProperty("errors").GetProperty(key).GetString()!;
        Tensor x = arena.Zeros(key == "layernorm_shape" ? [2, 32] : [2, 4], requiresGrad: true);
        Tensor w = arena.Ones([3]);
        var before = arena.Statistics;
        Action call = key switch
        {
            "layernorm_shape" => () => Functional.LayerNorm(x, [64]),
            "layernorm_empty" => () => Functional.LayerNorm(x, []),
            _ => () => Functional.LayerNorm(x, [4], w),
        };
        var thrown = Assert.Throws<ArgumentException>(() => call());
        Assert.That(thrown!.Message, Does.StartWith(expected));
        Assert.That((arena.Statistics.TensorCount, arena.Statistics.TapeLength, arena.Statistics.BytesInUse),
            Is.EqualTo((before.TensorCount, before.TapeLength, before.BytesInUse)));
    }

    [Test]
    public void Module_WrongInputSize_ThrowsPyTorchsMessage()
    {
        using var arena = new Arena();
        var layer = new LayerNorm(arena, [64]);
        var thrown = Assert.Throws<ArgumentException>(() => layer.Forward(arena.Zeros([2, 32])));
        Assert.That(thrown!.Message, Does.StartWith("Given normalized_shape=[64], expected input with shape [*, 64], but got input of size[2, 32]"));
    }

    [Test]
    public void NoGrad_RecordsNothing_TrainAndEvalAgree_ZeroGradClears()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 4 });
        var layer = new LayerNorm(arena, [5]);
        Tensor x = arena.Randn([3, 5]);
        float[] train = layer.Forward(x).ToArray();
        layer.Eval();
        Assert.That(layer.Forward(x).ToArray(), Is.EqualTo(train));
        layer.RequiresGrad(false);
        Assert.That(layer.Forward(x).GradFn, Is.Null, "no input requires grad: nothing recorded");
        layer.RequiresGrad();
        using (arena.NoGrad()) Assert.That(layer.Forward(x).GradFn, Is.Null);
        layer.Forward(x).Square().Sum().Backward();
        Assert.That(layer.Weight!.Value.Grad, Is.Not.Null);
        layer.ZeroGrad();
        Assert.That(layer.Weight!.Value.Grad is null || layer.Weight!.Value.Grad!.Value.ToArray().All(v => v == 0f), Is.True);
    }

    [Test]
    public void CapturedReplay_InferenceAndTraining_AreEagerModesBits()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 9 });
        var model = new Sequential(new Linear(arena, 6, 8), new LayerNorm(arena, [8]), new Tanh(), new Linear(arena, 8, 2));
        Tensor input = arena.Randn([4, 6]), fresh = arena.Randn([4, 6]);
        CapturedStep step;
        using (arena.NoGrad()) step = arena.Capture(input, x => model.Forward(x));
        float[] replayed = step.Run(fresh).ToArray();
        float[] eager;
        using (arena.NoGrad()) eager = model.Forward(fresh).ToArray();
        Assert.That(replayed, Is.EqualTo(eager));

        Tensor target = arena.Randn([4, 2]);
        var optimizer = new ArenaGrad.Optim.Sgd(model.Parameters(), lr: 0.1f);
        using CapturedStep training = arena.CaptureTraining(input, x => Functional.MseLoss(model.Forward(x), target), optimizer);
        float first = training.Output.Item();
        for (int i = 0; i < 20; i++) training.Replay();
        Assert.That(training.Output.Item(), Is.LessThan(first), "replayed training steps through LayerNorm's backward lower the loss");
    }
}
