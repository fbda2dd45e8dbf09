using System.Runtime.CompilerServices;
using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Nn.Convolution;

/// <summary>Convolution and pooling beyond the PyTorch references: finite differences of the first derivatives (second
/// derivatives: Golden/double/conv in DoubleBackwardTests), captured replays, 0 B per call, ties and NaN in max pooling, the modules' init, flags and errors.</summary>
[NonParallelizable]
public sealed class ConvBehaviourTests
{
    private static Tensor[] Inputs(Arena arena, int seed, params int[][] shapes)
    {
        var random = new Random(seed);
        var inputs = new Tensor[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            float[] values = Enumerable.Range(0, shapes[i].Aggregate(1, (a, b) => a * b))
                .Select(_ => (float)((0.3 + 1.2 * random.NextDouble()) * (random.Next(2) == 0 ? 1 : -1))).ToArray();
            inputs[i] = arena.FromData(values, shapes[i], requiresGrad: true);
        }
        return inputs;
    }

    private static void Check(TensorFunction program, params int[][] shapes)
    {
        using var arena = new Arena();
        GradCheckResult result = Autograd.GradCheck(program, Inputs(arena, 5, shapes), epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    private static readonly (string Name, TensorFunction Program, int[][] Shapes)[] Programs =
    [
        ("Conv2dStridePadDilationGroups", t => Functional.Conv2d(t[0], t[1], t[2], (2, 1), (1, 1), (1, 2), 2), [[2, 4, 5, 6], [4, 2, 2, 3], [4]]),
        ("Conv2dPointwise", t => Functional.Conv2d(t[0], t[1], t[2], 1), [[2, 3, 2, 3], [2, 3, 1, 1], [2]]),
        ("Conv2dUnbatched", t => Functional.Conv2d(t[0], t[1], null, 1, 1), [[2, 3, 4], [3, 2, 2, 2]]),
        ("Conv1dDepthwise", t => Functional.Conv1d(t[0], t[1], t[2], 2, 1, 1, 3), [[2, 3, 7], [6, 1, 3], [6]]),
        ("Conv1dUnbatched", t => Functional.Conv1d(t[0], t[1], t[2], 1, 2, 2), [[2, 5], [3, 2, 2], [3]]),
        ("Unfold", t => Functional.Unfold(t[0], (2, 3), (1, 1), (1, 0), (2, 1)) * 1.5f, [[2, 2, 4, 5]]),
        ("Fold", t => Functional.Fold(t[0], (4, 4), (2, 2), null, (1, 1), (2, 2)), [[1, 8, 9]]),
        ("MaxPool2d", t => Functional.MaxPool2d(t[0], 3, 2, 1), [[2, 2, 5, 6]]),
        ("AvgPool2d", t => Functional.AvgPool2d(t[0], (3, 2), (2, 1), (1, 1)), [[1, 2, 5, 6]]),
        ("AdaptiveAvgPool2d", t => Functional.AdaptiveAvgPool2d(t[0], (3, 4)), [[2, 1, 7, 5]]),
    ];

    private static IEnumerable<TestCaseData> ProgramCases() =>
        Programs.Select(p => new TestCaseData(p.Program, p.Shapes).SetArgDisplayNames(p.Name));

    [TestCaseSource(nameof(ProgramCases))]
    public void FirstDerivative_MatchesFiniteDifferences(TensorFunction program, int[][] shapes) => Check(program, shapes);

    [Test]
    public void MaxPool_TiesTakeTheFirstElement_AndNaNWins()
    {
        using var arena = new Arena();
        // windows {1, 1 / 1, 1} and {0, 2 / 2, 2}: the first element of each maximum, row by row, takes the gradient
        Tensor x = arena.FromData([1f, 1f, 0f, 2f, 1f, 1f, 2f, 2f], [1, 1, 2, 4], requiresGrad: true);
        Tensor y = Functional.MaxPool2d(x, 2);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
        y.Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 1f, 0f, 0f, 1f, 0f, 0f, 0f, 0f }));
        Tensor withNaN = arena.FromData([1f, float.NaN, 5f, 2f], [1, 2, 2]);
        Assert.That(float.IsNaN(Functional.MaxPool2d(withNaN, 2).ToArray()[0]), Is.True);
    }

    [Test]
    public void Modules_InitRequiresGradZeroGradAndEval()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var conv = new Conv2d(arena, 4, 8, (3, 2), groups: 2);
        Assert.That(conv.Weight.Shape.ToArray(), Is.EqualTo(new[] { 8, 2, 3, 2 }));
        float bound = 1f / MathF.Sqrt(2 * 3 * 2); // kaiming_uniform_(a=√5): 1/√fan_in, fan_in = in/groups·kH·kW
        float[] w = conv.Weight.ToArray(), b = conv.Bias!.Value.ToArray();
        Assert.That(w.Max(v => Math.Abs(v)), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.8f * bound));
        Assert.That(b.Max(v => Math.Abs(v)), Is.LessThanOrEqualTo(bound));
        Assert.That(conv.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias" }));
        Assert.That(new Conv1d(arena, 3, 2, 5, bias: false).NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
        Tensor x = arena.Randn([1, 4, 5, 5]);
        using (arena.Scope())
        {
            conv.Forward(x).Sum().Backward();
            Assert.That(conv.Weight.Grad, Is.Not.Null);
        }
        conv.ZeroGrad();
        Assert.That(conv.Weight.Grad, Is.Null);
        conv.RequiresGrad(false);
        conv.Eval();
        using (arena.Scope()) Assert.That(conv.Forward(x).RequiresGrad, Is.False);
        Assert.That(new AdaptiveAvgPool2d(5).ToString(), Is.EqualTo("AdaptiveAvgPool2d(output_size=5)"));
        Assert.That(new MaxPool2d(2).NamedParameters(), Is.Empty);
    }

    [Test]
    public void Modules_RefuseBadOptions_WithPyTorchsMessages()
    {
        using var arena = new Arena();
        Assert.That(Assert.Throws<ArgumentException>(() => new Conv2d(arena, 4, 3, 3, groups: 2))!.Message, Does.StartWith("out_channels must be divisible by groups"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Conv2d(arena, 3, 4, 3, groups: 2))!.Message, Does.StartWith("in_channels must be divisible by groups"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Conv1d(arena, 3, 4, 3, groups: 0))!.Message, Does.StartWith("groups must be a positive integer"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Conv2d(arena, 4, 4, 3, groups: 2).Forward(arena.Zeros([4, 4])))!.Message,
            Does.StartWith("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [4, 4]"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Conv1d(arena, 4, 4, 3, groups: 2).Forward(arena.Zeros([4, 4, 4, 4])))!.Message,
            Does.StartWith("Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [4, 4, 4, 4]"));
        int tensors = arena.TensorCount;
        using (arena.Scope()) Assert.Throws<InvalidOperationException>(() => new Conv2d(arena, 1, 1, 1));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
    }

    [Test]
    public void CapturedReplay_MatchesEagerBitwise_ForwardAndTraining()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        var model = new Sequential(new Conv2d(arena, 2, 4, 3, 2, 1), new Relu(), new MaxPool2d(2), new Conv2d(arena, 4, 4, (1, 2), groups: 2),
            new AvgPool2d(1), new AdaptiveAvgPool2d((2, 1)), new Flatten());
        Tensor input = arena.Randn([3, 2, 9, 8]), fresh = arena.Randn([3, 2, 9, 8]);
        float[] eager;
        using (arena.Scope()) eager = model.Forward(fresh).ToArray();
        CapturedStep step;
        using (arena.NoGrad()) step = arena.Capture(input, model.Forward);
        using (step) Assert.That(step.Run(fresh).ToArray(), Is.EqualTo(eager));

        // training: a captured step replays the same losses as eager steps from the same weights
        var sgd = new Sgd(model.Parameters(), lr: 0.01f);
        Tensor target = arena.Randn([3, 8]);
        var snapshot = model.Parameters().Select(p => p.ToArray()).ToArray();
        var eagerLosses = new float[4];
        for (int s = 0; s < 4; s++)
        {
            sgd.ZeroGrad();
            using (arena.Scope())
            {
                Tensor loss = Functional.MseLoss(model.Forward(input), target);
                loss.Backward();
                eagerLosses[s] = loss.Item();
            }
            sgd.Step();
        }
        using (arena.NoGrad())
            for (int i = 0; i < snapshot.Length; i++) model.Parameters()[i].CopyFrom(snapshot[i]);
        using CapturedStep training = arena.CaptureTraining(input, x => Functional.MseLoss(model.Forward(x), target), sgd);
        var losses = new float[4];
        losses[0] = training.Output.Item();
        for (int s = 1; s < 4; s++) losses[s] = training.Replay().Item();
        Assert.That(losses, Is.EqualTo(eagerLosses));
    }

    [Test]
    public void NatureCnnStep_InAScope_AllocatesNothing()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var model = new Sequential(new Conv2d(arena, 4, 8, 8, 4), new Relu(), new Conv2d(arena, 8, 8, 4, 2), new Relu(),
            new Conv2d(arena, 8, 8, 3, 1), new Relu(), new Flatten(), new Linear(arena, 8 * 7 * 7, 4));
        Tensor input = arena.Randn([2, 4, 84, 84]);
        Assert.That(() => Step(arena, model, input), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        Assert.That(() => NoGradForward(arena, model, input), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Step(Arena arena, Module model, Tensor input)
    {
        model.ZeroGrad();
        using (arena.Scope()) model.Forward(input).Sum().Backward();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void NoGradForward(Arena arena, Module model, Tensor input)
    {
        using (arena.Scope())
        using (arena.NoGrad()) model.Forward(input);
    }

    [Test]
    public void Convolution_RecordsNothingWithoutGrad_AndSavesOnlyWhatBackwardNeeds()
    {
        using var arena = new Arena();
        Tensor x = arena.Randn([2, 3, 6, 6]), w = arena.Randn([4, 3, 3, 3]);
        int tape = arena.TapeLength;
        Tensor y = Functional.Conv2d(x, w, null, 1, 1);
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
        Assert.That(y.RequiresGrad, Is.False);
        // x only: the gradient still flows, through the workspace
        Tensor xg = arena.Randn([2, 3, 6, 6], requiresGrad: true);
        Functional.Conv2d(xg, w, null, 1, 1).Sum().Backward();
        Tensor reference = Functional.Fold(w.Reshape(4, 27).Sum(0).Reshape(1, 27, 1).Expand(2, 27, 36), (6, 6), (3, 3), null, (1, 1));
        float[] got = xg.Grad!.Value.ToArray(), want = reference.ToArray();
        for (int i = 0; i < want.Length; i++) Assert.That(got[i], Is.EqualTo(want[i]).Within(1e-4f));
    }
}
