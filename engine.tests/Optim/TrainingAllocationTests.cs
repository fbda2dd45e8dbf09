using System.Runtime.CompilerServices;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Optim;

/// <summary>After warm-up, a module's forward pass and a full training step with the Nn and Optim types (Mlp, Dropout,
/// CrossEntropy, ClipGradNorm, each optimizer, a schedule) allocate no managed memory.</summary>
[NonParallelizable]
public sealed class TrainingAllocationTests
{
    private static readonly int[] Targets = [0, 1, 2, 0, 1, 2, 0, 1];

    [Test]
    public void Forward_OfABuiltModel_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var model = new Sequential(new Mlp(arena, [4, 16, 16], () => new Relu()), new Dropout(0.2f), new LeakyRelu(), new Linear(arena, 16, 3),
            new Softmax(1), new Flatten(), new Sigmoid());
        Tensor input = arena.Randn([8, 4]);
        Assert.That(() => Forward(arena, model, input), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Forward(Arena arena, Module model, Tensor input)
    {
        using (arena.Scope()) _ = model.Forward(input);
    }

    private static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new Sgd(p, 0.05f))).SetArgDisplayNames("Sgd");
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new Sgd(p, 0.05f, 0.9f, 0f, 1e-4f, nesterov: true)))
            .SetArgDisplayNames("SgdNesterov");
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new Adam(p, 1e-3f, amsgrad: true, weightDecay: 1e-4f)))
            .SetArgDisplayNames("AdamAmsgrad");
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new AdamW(p))).SetArgDisplayNames("AdamW");
    }

    [TestCaseSource(nameof(Optimizers))]
    public void TrainingStep_WithOptimizerClipAndSchedule_AllocatesZeroManagedBytes(Func<IReadOnlyList<Tensor>, Optimizer> make)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        var model = new Sequential(new Mlp(arena, [4, 32, 32]), new Dropout(0.1f), new Relu(), new Linear(arena, 32, 3));
        Optimizer optimizer = make(model.Parameters());
        var schedule = new CosineAnnealingLR(optimizer, tMax: 100, etaMin: 1e-4f);
        Tensor input = arena.Randn([8, 4]);
        float loss = 0;
        Assert.That(() => { loss = Step(arena, model, optimizer, schedule, input); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        Assert.That(float.IsFinite(loss), Is.True);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Step(Arena arena, Module model, Optimizer optimizer, LearningRateScheduler schedule, Tensor input)
    {
        float loss;
        optimizer.ZeroGrad();
        using (arena.Scope())
        {
            Tensor lossTensor = Functional.CrossEntropy(model.Forward(input), Targets);
            lossTensor.Backward();
            loss = lossTensor.Item();
        }
        Functional.ClipGradNorm(model.Parameters(), 1f);
        Functional.ClipGradNorm(optimizer.Parameters, 1f);
        optimizer.Step();
        schedule.Step();
        optimizer.LearningRate = schedule.LastLearningRate; // the float setter too
        return loss;
    }
}
