using System.Runtime.CompilerServices;
using System.Text.Json;
using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Testing;
using static ArenaGrad.Tests.Nn.Attention.LayerGolden;

namespace ArenaGrad.Tests.Nn.Attention;

/// <summary>MultiheadAttention and TransformerEncoderLayer as modules: PyTorch 1.13's reprs, names, initialization and
/// error messages, modes, captured replay, 0 B steps, training-mode dropout, and the masks' conventions.</summary>
[NonParallelizable]
public sealed class AttentionModuleTests
{
    private static JsonElement Reprs => Load("reprs_and_errors").GetProperty("reprs");

    private static string Error(string key) => Load("reprs_and_errors").GetProperty("errors").GetProperty(key).GetString()!;

    [Test]
    public void Reprs_AsPyTorch()
    {
        using var arena = new Arena();
        Assert.That(new TransformerEncoderLayer(arena, 64, 4).ToString(), Is.EqualTo(Reprs.GetProperty("repr_tel_default").GetString()));
        Assert.That(new MultiheadAttention(arena, 16, 4, bias: false).ToString(), Is.EqualTo(Reprs.GetProperty("repr_mha_no_bias").GetString()));
    }

    [Test]
    public void MultiheadAttention_NamesAndInitialization_AsPyTorch()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        var mha = new MultiheadAttention(arena, 32, 4);
        Assert.That(mha.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" }));
        Assert.That(mha.InProjWeight.Shape.ToArray(), Is.EqualTo(new[] { 96, 32 }));
        Assert.That(mha.InProjBias!.Value.ToArray(), Is.All.EqualTo(0f));
        Assert.That(mha.OutProj.Bias!.Value.ToArray(), Is.All.EqualTo(0f));
        float xavier = (float)Math.Sqrt(6.0 / (32 + 96)), kaiming = 1f / (float)Math.Sqrt(32);
        float[] w = mha.InProjWeight.ToArray();
        Assert.That(w.Max(Math.Abs), Is.LessThanOrEqualTo(xavier).And.GreaterThan(0.9f * xavier), "xavier_uniform_ bound");
        Assert.That(mha.OutProj.Weight.ToArray().Max(Math.Abs), Is.LessThanOrEqualTo(kaiming).And.GreaterThan(0.9f * kaiming), "Linear's bound");
        Assert.That(mha.BatchFirst, Is.True, "batchFirst defaults to true here (PyTorch: false)");
        Assert.That(new MultiheadAttention(arena, 8, 2, bias: false).NamedParameters().Select(p => p.Name),
            Is.EqualTo(new[] { "in_proj_weight", "out_proj.weight" }));
    }

    [Test]
    public void TransformerEncoderLayer_ParameterNamesInPyTorchsOrder()
    {
        using var arena = new Arena();
        string[] expected = Load("tel").GetProperty("cases")[0].GetProperty("params").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.That(new TransformerEncoderLayer(arena, 8, 2, 16).NamedParameters().Select(p => p.Name), Is.EqualTo(expected));
        Assert.That(new TransformerEncoderLayer(arena, 8, 2, 16).NamedChildren().Select(c => c.Name),
            Is.EqualTo(new[] { "self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2" }));
    }

    /// <summary>Makes the inputs in the arena, then returns the call (so the arena's state is taken between the two).</summary>
    public delegate Func<object> ErrorSetup(Arena arena, MultiheadAttention mha);

    private static IEnumerable<TestCaseData> ForwardErrors()
    {
        static TestCaseData Case(string key, ErrorSetup setup) => new TestCaseData(key, setup).SetArgDisplayNames(key);
        static Func<object> Call(MultiheadAttention m, Tensor q, Tensor k, Tensor v, Tensor? padding = null, Tensor? mask = null) =>
            () => m.Forward(q, k, v, padding, mask);
        yield return Case("mha_query_rank", (a, m) => Call(m, a.Zeros([2, 3, 4, 8]), a.Zeros([2, 3, 4, 8]), a.Zeros([2, 3, 4, 8])));
        yield return Case("mha_key_rank", (a, m) => Call(m, a.Zeros([2, 3, 8]), a.Zeros([3, 8]), a.Zeros([3, 8])));
        yield return Case("mha_embed", (a, m) => Call(m, a.Zeros([2, 3, 6]), a.Zeros([2, 3, 6]), a.Zeros([2, 3, 6])));
        yield return Case("mha_key_value", (a, m) => Call(m, a.Zeros([2, 3, 8]), a.Zeros([2, 4, 8]), a.Zeros([2, 5, 8])));
        yield return Case("mha_attn_2d", (a, m) => Call(m, a.Zeros([2, 3, 8]), a.Zeros([2, 4, 8]), a.Zeros([2, 4, 8]), mask: a.Zeros([3, 5])));
        yield return Case("mha_attn_3d", (a, m) => Call(m, a.Zeros([2, 3, 8]), a.Zeros([2, 4, 8]), a.Zeros([2, 4, 8]), mask: a.Zeros([2, 3, 4])));
        yield return Case("mha_attn_rank", (a, m) => Call(m, a.Zeros([2, 3, 8]), a.Zeros([2, 4, 8]), a.Zeros([2, 4, 8]), mask: a.Zeros([3])));
        yield return Case("mha_kpm_shape", (a, m) => Call(m, a.Zeros([2, 3, 8]), a.Zeros([2, 4, 8]), a.Zeros([2, 4, 8]), a.Zeros([2, 5], DType.Bool)));
        yield return Case("mha_kpm_rank", (a, m) => Call(m, a.Zeros([2, 3, 8]), a.Zeros([2, 4, 8]), a.Zeros([2, 4, 8]), a.Zeros([2, 4, 1], DType.Bool)));
    }

    [TestCaseSource(nameof(ForwardErrors))]
    public void MultiheadAttention_BadInputs_ThrowPyTorchsMessage_AndLeaveTheArenaAsItWas(string key, ErrorSetup setup)
    {
        using var arena = new Arena();
        var mha = new MultiheadAttention(arena, 8, 2);
        Func<object> call = setup(arena, mha);
        ArenaStatistics before = arena.Statistics;
        var thrown = Assert.Throws<ArgumentException>(() => call());
        Assert.That(thrown!.Message, Does.StartWith(Error(key)));
        ArenaStatistics after = arena.Statistics;
        Assert.That((after.TensorCount, after.TapeLength, after.BytesInUse), Is.EqualTo((before.TensorCount, before.TapeLength, before.BytesInUse)));
    }

    [Test]
    public void EncoderLayer_BadMask_ThrowsPyTorchsMessage_AndRollsBackWhatPreNormMade()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var layer = new TransformerEncoderLayer(arena, 8, 2, 16, normFirst: true);
        Tensor src = arena.Randn([2, 3, 8], requiresGrad: true), mask = arena.Zeros([3, 4]);
        ArenaStatistics before = arena.Statistics;
        var thrown = Assert.Throws<ArgumentException>(() => layer.Forward(src, mask));
        Assert.That(thrown!.Message, Does.StartWith("The shape of the 2D attn_mask is torch.Size([3, 4]), but should be (3, 3)."));
        ArenaStatistics after = arena.Statistics;
        Assert.That((after.TensorCount, after.TapeLength, after.BytesInUse), Is.EqualTo((before.TensorCount, before.TapeLength, before.BytesInUse)),
            "norm1's output and the projections made before the check are rolled back");
    }

    [Test]
    public void EncoderLayer_LoadsPyTorchsStateDict_AndGivesItsOutput()
    {
        using var arena = new Arena();
        JsonElement golden = Load("tel").GetProperty("cases")[0];
        JsonElement options = golden.GetProperty("options");
        var layer = new TransformerEncoderLayer(arena, options.GetProperty("d_model").GetInt32(), options.GetProperty("nhead").GetInt32(),
            options.GetProperty("dim_feedforward").GetInt32(), 0f);
        var state = golden.GetProperty("params").EnumerateObject().ToDictionary(p => p.Name, p => Make(arena, p.Value));
        layer.LoadStateDict(state);
        Tensor y = layer.Forward(Make(arena, golden.GetProperty("inputs").GetProperty("src")));
        Near(y, golden.GetProperty("outputs").GetProperty("output"), 1e-4, 1e-4, "output");
    }

    [Test]
    public void MultiheadAttention_IndivisibleHeads_ThrowsPyTorchsMessage()
    {
        using var arena = new Arena();
        var thrown = Assert.Throws<ArgumentException>(() => _ = new MultiheadAttention(arena, 10, 3));
        Assert.That(thrown!.Message, Does.StartWith(Error("mha_divisible")));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TransformerEncoderLayer(arena, 8, 2, dropout: 1.5f));
    }

    [Test]
    public void ModuleForward_IsSelfAttentionsOutput_AndUnbatchedMatchesABatchOfOne()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        var mha = new MultiheadAttention(arena, 8, 2);
        Tensor x = arena.Randn([1, 4, 8]);
        float[] self = mha.Forward(x).ToArray();
        Assert.That(self, Is.EqualTo(mha.Forward(x, x, x).Output.ToArray()));
        Tensor unbatched = x.Reshape(4, 8);
        (Tensor o, Tensor? w) = mha.Forward(unbatched, unbatched, unbatched);
        Assert.That(o.Shape.ToArray(), Is.EqualTo(new[] { 4, 8 }));
        Assert.That(w!.Value.Shape.ToArray(), Is.EqualTo(new[] { 4, 4 }));
        Assert.That(o.ToArray(), Is.EqualTo(self).Within(1e-6f));
    }

    [Test]
    public void Masks_SdpaTrueMeansTakesPart_MhaTrueMeansIgnore_AllMaskedRowsGiveNaN()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 6 });
        Tensor q = arena.Randn([2, 3, 4]), k = arena.Randn([2, 5, 4]), v = arena.Randn([2, 5, 4]);
        bool[] allowed = [true, true, false, true, false, false, true, true, true, true, false, false, false, false, false];
        Tensor boolMask = arena.FromData(allowed, [3, 5]);
        Tensor floatMask = arena.FromData(allowed.Select(a => a ? 0f : float.NegativeInfinity).ToArray(), [3, 5]);
        float[] byBool = Functional.ScaledDotProductAttention(q, k, v, boolMask).ToArray();
        Assert.That(byBool.Take(8).Concat(byBool.Skip(12).Take(8)), Is.EqualTo(
            Functional.ScaledDotProductAttention(q, k, v, floatMask).ToArray().Take(8).Concat(Functional.ScaledDotProductAttention(q, k, v, floatMask).ToArray().Skip(12).Take(8))));
        // the third query row has no allowed key: NaN, as PyTorch's math path
        Assert.That(byBool.Skip(8).Take(4), Is.All.NaN);

        var mha = new MultiheadAttention(arena, 4, 2);
        Tensor padding = arena.FromData([true, true, true, true, true, false, false, false, false, true], [2, 5]);
        (Tensor output, _) = mha.Forward(q, k, v, padding);
        float[] values = output.ToArray();
        Assert.That(values.Take(12), Is.All.NaN, "every key of the first sequence is padding");
        Assert.That(values.Skip(12), Is.All.Not.NaN);
    }

    [Test]
    public void TrainingModeDropout_DropsAboutPAndScalesTheRest_EvalIsTheIdentity()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        var layer = new TransformerEncoderLayer(arena, 16, 4, 32, dropout: 0.3f);
        Tensor src = arena.Randn([16, 32, 16]);
        int dropped = 0, kept = 0, total = 0;
        double worstScale = 0;
        layer.Dropout1.RegisterForwardHook((_, input, output) =>
        {
            float[] x = input.ToArray(), y = output.ToArray();
            for (int i = 0; i < x.Length; i++)
            {
                if (x[i] == 0f) continue;
                total++;
                if (y[i] == 0f) dropped++;
                else { kept++; worstScale = Math.Max(worstScale, Math.Abs(y[i] / x[i] - 1 / 0.7)); }
            }
        });
        float[] train = layer.Forward(src).ToArray();
        Assert.That(total, Is.EqualTo(16 * 32 * 16));
        Assert.That(dropped / (double)total, Is.EqualTo(0.3).Within(0.02), "fraction dropped (8192 draws: 4.5 standard deviations)");
        Assert.That(worstScale, Is.LessThan(1e-5), "kept values scaled by 1/(1-p)");
        Assert.That(layer.Forward(src).ToArray(), Is.Not.EqualTo(train), "fresh masks every call");
        layer.Eval();
        float[] eval1 = layer.Forward(src).ToArray();
        Assert.That(layer.Forward(src).ToArray(), Is.EqualTo(eval1), "eval: no dropout");
        Assert.That(dropped + kept, Is.EqualTo(total));
    }

    [Test]
    public void GradCheck_AttentionAgainstFiniteDifferences()
    {
        var random = new Random(12);
        using var arena = new Arena(new ArenaOptions { Seed = 12 });
        Tensor R(params int[] shape) =>
            arena.FromData(Enumerable.Range(0, shape.Aggregate(1, (p, s) => p * s)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), shape, true);
        Tensor mask = arena.FromData([true, false, true, true, true, false], [2, 3]);
        GradCheckResult sdpa = Autograd.GradCheck(t => Functional.ScaledDotProductAttention(t[0], t[1], t[2], mask).Square().Sum(),
            [R(2, 2, 4), R(2, 3, 4), R(2, 3, 3)], epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(sdpa.Passed, Is.True, sdpa.ToString());
        var mha = new MultiheadAttention(arena, 4, 2);
        Tensor padding = arena.FromData([false, false, true, false, false, false], [2, 3]);
        GradCheckResult attention = Autograd.GradCheck(t =>
        {
            (Tensor o, Tensor? w) = mha.Forward(t[0], t[1], t[1], padding);
            return o.Square().Sum() + (w!.Value * t[0].Sum()).Sum();
        }, [R(2, 2, 4), R(2, 3, 4)], epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(attention.Passed, Is.True, attention.ToString());
    }

    [Test]
    public void DoubleBackward_ThroughTheEncoder_MatchesFiniteDifferencesOfTheGradient()
    {
        // d/dε of <∂L/∂x (x + εv), u> against the graph rules' second derivative: every op of the layer has one
        using var arena = new Arena(new ArenaOptions { Seed = 13 });
        var layer = new TransformerEncoderLayer(arena, 4, 2, 8, dropout: 0f);
        Tensor x = arena.Randn([1, 3, 4], requiresGrad: true), u = arena.Randn([1, 3, 4]), v = arena.Randn([1, 3, 4]);
        Tensor g = Autograd.Grad(layer.Forward(x).Square().Sum(), x, createGraph: true);
        Tensor second = Autograd.Grad((g * u).Sum(), x);
        double analytic = (second * v).Sum().Item();
        double Directional(float eps)
        {
            Tensor shifted = (x.Detach() + v * eps).Detach();
            shifted.SetRequiresGrad();
            return (Autograd.Grad(layer.Forward(shifted).Square().Sum(), shifted) * u).Sum().Item();
        }
        double numeric = (Directional(1e-2f) - Directional(-1e-2f)) / 2e-2;
        Assert.That(analytic, Is.EqualTo(numeric).Within(2e-2 * Math.Max(1, Math.Abs(numeric))));
    }

    [Test]
    public void RequiresGradFalse_RecordsNothing_ZeroGradClears()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 8 });
        var layer = new TransformerEncoderLayer(arena, 8, 2, 16, dropout: 0f);
        Tensor src = arena.Randn([2, 3, 8]);
        layer.RequiresGrad(false);
        Assert.That(layer.Forward(src).GradFn, Is.Null);
        layer.RequiresGrad();
        layer.Forward(src).Sum().Backward();
        Assert.That(layer.Parameters().All(p => p.Grad is not null), Is.True, "every parameter gets a gradient");
        layer.ZeroGrad();
        Assert.That(layer.Parameters().All(p => p.Grad is null || p.Grad!.Value.ToArray().All(v => v == 0f)), Is.True);
    }

    [Test]
    public void CapturedReplay_EncoderWithMasks_IsEagerModesBits_AndTrainingReplaysLowerTheLoss()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 9 });
        var layer = new TransformerEncoderLayer(arena, 8, 2, 16, dropout: 0f, normFirst: true);
        Tensor padding = arena.FromData([false, false, false, true, false, false, false, false], [2, 4]);
        Tensor causal = arena.FromData([false, true, true, true, false, false, true, true, false, false, false, true, false, false, false, false], [4, 4]);
        Tensor input = arena.Randn([2, 4, 8]), fresh = arena.Randn([2, 4, 8]);
        CapturedStep step;
        using (arena.NoGrad()) step = arena.Capture(input, x => layer.Forward(x, causal, padding));
        float[] replayed = step.Run(fresh).ToArray();
        float[] eager;
        using (arena.NoGrad()) eager = layer.Forward(fresh, causal, padding).ToArray();
        Assert.That(replayed, Is.EqualTo(eager));

        Tensor target = arena.Randn([2, 4, 8]);
        var optimizer = new ArenaGrad.Optim.Adam(layer.Parameters(), lr: 1e-2f);
        using CapturedStep training = arena.CaptureTraining(input, x => Functional.MseLoss(layer.Forward(x, causal, padding), target), optimizer);
        float first = training.Output.Item();
        for (int i = 0; i < 30; i++) training.Replay();
        Assert.That(training.Output.Item(), Is.LessThan(first));
    }

    [Test]
    public void ForwardAndBackwardInAScope_AllocateNothing()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 10 });
        var layer = new TransformerEncoderLayer(arena, 16, 4, 32, dropout: 0.1f);
        var mha = new MultiheadAttention(arena, 16, 4, batchFirst: false);
        Tensor src = arena.Randn([4, 6, 16], requiresGrad: true);
        Tensor padding = arena.FromData(Enumerable.Range(0, 24).Select(i => i % 6 == 5).ToArray(), [4, 6]);
        Assert.That(() => Step(arena, layer, mha, src, padding), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Step(Arena arena, TransformerEncoderLayer layer, MultiheadAttention mha, Tensor src, Tensor padding)
    {
        layer.ZeroGrad();
        mha.ZeroGrad();
        src.ZeroGrad();
        using (arena.Scope())
        {
            (Tensor o, Tensor? w) = mha.Forward(src, src, src);
            (layer.Forward(src, null, padding).Sum() + o.Sum() + w!.Value.Square().Sum()
                + Functional.ScaledDotProductAttention(src, src, src, isCausal: true).Sum()).Backward();
        }
    }
}
