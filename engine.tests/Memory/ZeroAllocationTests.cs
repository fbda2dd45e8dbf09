using System.Runtime.CompilerServices;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Memory;

/// <summary>After warm-up, training steps allocate no managed memory.</summary>
[NonParallelizable]
public sealed class ZeroAllocationTests
{
    [Test]
    public void TrainingStep_ForwardBackwardSgdInScope_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        Tensor w1 = arena.Uniform([16, 4], -0.5f, 0.5f, requiresGrad: true), b1 = arena.Zeros([16], requiresGrad: true);
        Tensor w2 = arena.Uniform([3, 16], -0.25f, 0.25f, requiresGrad: true), b2 = arena.Zeros([3], requiresGrad: true);
        Tensor input = arena.Randn([8, 4]);
        int[] targets = [0, 1, 2, 0, 1, 2, 0, 1];

        // The kit warms up (first calls compile methods and fill the arena's blocks and columns), then measures
        // batches of steps; tiered compilation is off for this assembly (see the csproj).
        float loss = 0;
        Assert.That(() => { loss = Step(arena, input, targets, w1, b1, w2, b2); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        Assert.That(float.IsFinite(loss), Is.True);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Step(Arena arena, Tensor input, int[] targets, Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        float loss;
        using (arena.Scope())
        {
            Tensor hidden = Functional.Linear(input, w1, b1).Tanh();
            Tensor logits = Functional.Linear(hidden, w2, b2);
            Tensor lossTensor = Functional.CrossEntropy(logits, targets) + (logits * logits).Mean() * 0.01f;
            lossTensor.Backward();
            loss = lossTensor.Item();
            using (arena.NoGrad())
            {
                foreach (Tensor p in (ReadOnlySpan<Tensor>)[w1, b1, w2, b2])
                {
                    p.AddInPlace(p.Grad!.Value, -0.1f);
                    p.ZeroGrad();
                }
            }
        }
        return loss;
    }

    [Test]
    public void MakingAndDroppingTensors_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena();
        Assert.That(() => MakeAndDrop(arena), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [Test]
    public void CatOfManyTensors_WithBackward_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena();
        var parts = new Tensor[100];
        for (int i = 0; i < parts.Length; i++) parts[i] = arena.Full([1, 2], i, requiresGrad: true);
        int passes = 0;
        Assert.That(() => { CatAndBackward(arena, parts); passes++; }, Allocates.Nothing);
        Assert.That(parts[7].Grad!.Value.ToArray(), Is.EqualTo(new[] { (float)passes, passes }), $"{passes} passes of d(Σ cat)/d part = 1");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CatAndBackward(Arena arena, Tensor[] parts)
    {
        using (arena.Scope()) Functional.Cat(parts, 0).Sum().Backward();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeAndDrop(Arena arena)
    {
        using (arena.Scope())
        {
            Tensor a = arena.Zeros([3, 4]);
            Tensor b = a.Reshape(-1, 2).Transpose(0, 1);
            _ = Functional.Cat([b, b], 1).Sum(0, keepDim: true).Detach();
        }
    }
}
