using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Capture;

/// <summary>Captured training steps (ZeroGrad, forward, backward, optimizer step) replayed against the same steps run
/// eagerly from the same initial weights: every loss and every parameter bit equal.</summary>
[TestFixture]
public sealed class CapturedTrainingTests
{
    private const int Steps = 50, Batch = 8, Inputs = 6, Outputs = 3;

    public static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData((Func<IEnumerable<Tensor>, Optimizer>)(p => new Adam(p, lr: 1e-2f))).SetArgDisplayNames("Adam");
        yield return new TestCaseData((Func<IEnumerable<Tensor>, Optimizer>)(p => new Sgd(p, lr: 0.05f, momentum: 0.9f))).SetArgDisplayNames("SgdMomentum");
        yield return new TestCaseData((Func<IEnumerable<Tensor>, Optimizer>)(p => new AdamW(p, lr: 1e-2f))).SetArgDisplayNames("AdamW");
    }

    [TestCaseSource(nameof(Optimizers))]
    public void ReplayedMseTraining_FiftySteps_IsBitwiseEager(Func<IEnumerable<Tensor>, Optimizer> makeOptimizer)
    {
        (float[][] xs, float[][] ys) = Data(seed: 3);

        using var eagerArena = new Arena(new ArenaOptions { Seed = 11 });
        var eagerModel = new Mlp(eagerArena, [Inputs, 16, 16, Outputs], () => new Relu());
        Optimizer eagerOptimizer = makeOptimizer(eagerModel.Parameters());
        Tensor eagerX = eagerArena.Zeros([Batch, Inputs]), eagerY = eagerArena.Zeros([Batch, Outputs]);
        var eagerLosses = new float[Steps];
        for (int s = 0; s < Steps; s++)
        {
            eagerX.CopyFrom(xs[s]);
            eagerY.CopyFrom(ys[s]);
            eagerOptimizer.ZeroGrad();
            using (eagerArena.Scope())
            {
                Tensor loss = Functional.MseLoss(eagerModel.Forward(eagerX), eagerY);
                loss.Backward();
                eagerLosses[s] = loss.Item();
            }
            eagerOptimizer.Step();
        }

        using var arena = new Arena(new ArenaOptions { Seed = 11 });
        var model = new Mlp(arena, [Inputs, 16, 16, Outputs], () => new Relu());
        Optimizer optimizer = makeOptimizer(model.Parameters());
        Tensor x = arena.Zeros([Batch, Inputs]), y = arena.Zeros([Batch, Outputs]), staged = arena.Zeros([Batch, Inputs]);
        var losses = new float[Steps];
        x.CopyFrom(xs[0]);
        y.CopyFrom(ys[0]);
        using CapturedStep step = arena.CaptureTraining(x, input => Functional.MseLoss(model.Forward(input), y), optimizer);
        Assert.That(step.IsTraining, Is.True);
        losses[0] = step.Output.Item();
        for (int s = 1; s < Steps; s++)
        {
            y.CopyFrom(ys[s]);
            staged.CopyFrom(xs[s]);
            losses[s] = step.Run(staged).Item();
        }

        Assert.That(Bits(losses), Is.EqualTo(Bits(eagerLosses)), "losses");
        AssertParametersBitwise(model, eagerModel);
        Assert.That(losses.TakeLast(5).Average(), Is.LessThan(losses.Take(5).Average()), "the replayed steps train");
    }

    [Test]
    public void ReplayedCrossEntropyTraining_WithCapturedTargets_IsBitwiseEager()
    {
        (float[][] xs, _) = Data(seed: 5);
        int[] targets = [0, 1, 2, 1, 0, 2, 2, 1];

        using var eagerArena = new Arena(new ArenaOptions { Seed = 2 });
        var eagerModel = new Mlp(eagerArena, [Inputs, 12, Outputs]);
        var eagerOptimizer = new Sgd(eagerModel.Parameters(), lr: 0.1f);
        Tensor eagerX = eagerArena.Zeros([Batch, Inputs]);
        for (int s = 0; s < Steps; s++)
        {
            eagerX.CopyFrom(xs[s]);
            eagerOptimizer.ZeroGrad();
            using (eagerArena.Scope())
                Functional.CrossEntropy(eagerModel.Forward(eagerX).Tanh() * 2f, targets, labelSmoothing: 0.1f).Backward();
            eagerOptimizer.Step();
        }

        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        var model = new Mlp(arena, [Inputs, 12, Outputs]);
        var optimizer = new Sgd(model.Parameters(), lr: 0.1f);
        Tensor x = arena.Zeros([Batch, Inputs]);
        x.CopyFrom(xs[0]);
        using CapturedStep step = arena.CaptureTraining(x, input =>
            Functional.CrossEntropy(model.Forward(input).Tanh() * 2f, targets, labelSmoothing: 0.1f), optimizer);
        for (int s = 1; s < Steps; s++)
        {
            x.CopyFrom(xs[s]);
            step.Replay();
        }
        AssertParametersBitwise(model, eagerModel);
    }

    [Test]
    public void TrainingCapture_InsideAScope_ReplaysUntilTheScopeEnds()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 4 });
        var model = new Mlp(arena, [Inputs, 8, Outputs]);
        var optimizer = new Adam(model.Parameters());
        Tensor x = arena.Randn([Batch, Inputs]), y = arena.Randn([Batch, Outputs]);
        CapturedStep step;
        using (arena.Scope())
        {
            step = arena.CaptureTraining(x, input => Functional.MseLoss(model.Forward(input), y), optimizer);
            step.Replay();
            step.Replay();
        }
        var thrown = Assert.Throws<InvalidOperationException>(() => step.Replay());
        Assert.That(thrown!.Message, Does.Contain("stale"));
    }

    private static (float[][] Xs, float[][] Ys) Data(int seed)
    {
        var random = new Random(seed);
        float[][] xs = new float[Steps][], ys = new float[Steps][];
        for (int s = 0; s < Steps; s++)
        {
            xs[s] = Enumerable.Range(0, Batch * Inputs).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] x = xs[s];
            ys[s] = Enumerable.Range(0, Batch * Outputs).Select(i => 0.5f * x[i / Outputs * Inputs + i % Outputs] - x[i / Outputs * Inputs + 3]).ToArray(); // a function to learn
        }
        return (xs, ys);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static void AssertParametersBitwise(Module replayed, Module eager)
    {
        IReadOnlyList<Tensor> a = replayed.Parameters(), b = eager.Parameters();
        Assert.That(a.Count, Is.EqualTo(b.Count));
        for (int i = 0; i < a.Count; i++)
            Assert.That(Bits(a[i].ToArray()), Is.EqualTo(Bits(b[i].ToArray())), $"parameter {i}");
    }
}
