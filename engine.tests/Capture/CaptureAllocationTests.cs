using System.Runtime.CompilerServices;
using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Capture;

/// <summary>Replays allocate no managed memory and add no native blocks.</summary>
[NonParallelizable]
public sealed class CaptureAllocationTests
{
    [Test]
    public void InferenceRun_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var model = new Mlp(arena, [32, 64, 64, 4]);
        Tensor input = arena.Randn([1, 32]), fresh = arena.Randn([1, 32]);
        CapturedStep step;
        using (arena.NoGrad()) step = arena.Capture(input, x => model.Forward(x));
        Assert.That(() => Run(step, fresh), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [Test]
    public void TrainingReplay_WithAdam_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var model = new Mlp(arena, [16, 32, 32, 4], () => new Relu());
        var adam = new Adam(model.Parameters(), lr: 1e-3f);
        Tensor input = arena.Randn([8, 16]), target = arena.Randn([8, 4]);
        CapturedStep step = arena.CaptureTraining(input, x => Functional.MseLoss(model.Forward(x), target), adam);
        Assert.That(() => Replay(step), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Run(CapturedStep step, Tensor input) => step.Run(input);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Replay(CapturedStep step) => step.Replay();
}
