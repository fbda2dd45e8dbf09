using System.Runtime.CompilerServices;

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

        // Warm-up: first calls compile methods and fill the arena's blocks and columns. Tiered compilation is
        // off for this assembly (see the csproj), so the code measured below is the code that keeps running.
        for (int i = 0; i < 200; i++) Step(arena, input, targets, w1, b1, w2, b2);

        long before = GC.GetAllocatedBytesForCurrentThread();
        float loss = 0;
        for (int i = 0; i < 1000; i++) loss = Step(arena, input, targets, w1, b1, w2, b2);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero, "managed bytes allocated over 1000 training steps");
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
        for (int i = 0; i < 2000; i++) MakeAndDrop(arena);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) MakeAndDrop(arena);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void CatOfManyTensors_WithBackward_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena();
        var parts = new Tensor[100];
        for (int i = 0; i < parts.Length; i++) parts[i] = arena.Full([1, 2], i, requiresGrad: true);
        for (int i = 0; i < 50; i++) CatAndBackward(arena, parts);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++) CatAndBackward(arena, parts);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(parts[7].Grad!.Value.ToArray(), Is.EqualTo(new[] { 250f, 250f }), "250 passes of d(Σ cat)/d part = 1");
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
