namespace ArenaGrad.Tests.Memory;

/// <summary>The same seed and program give the same bits, run after run (hashing float bits, as bepuphysics does).</summary>
public sealed class DeterminismTests
{
    [Test]
    public void TrainingRun_RepeatedInFreshArenas_GivesBitIdenticalParameters()
    {
        ulong first = TrainAndHash();
        ulong second = TrainAndHash();
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void TrainingRun_DifferentSeed_GivesDifferentBits()
    {
        Assert.That(TrainAndHash(seed: 2), Is.Not.EqualTo(TrainAndHash(seed: 1)));
    }

    private static ulong TrainAndHash(ulong seed = 1)
    {
        using var arena = new Arena(new ArenaOptions { Seed = seed });
        Tensor w1 = arena.Randn([16, 8], requiresGrad: true, std: 0.3f), b1 = arena.Zeros([16], requiresGrad: true);
        Tensor w2 = arena.Randn([4, 16], requiresGrad: true, std: 0.3f);
        Tensor input = arena.Randn([32, 8]);
        int[] targets = Enumerable.Range(0, 32).Select(i => i % 4).ToArray();
        for (int step = 0; step < 50; step++)
        {
            using (arena.Scope())
            {
                Tensor hidden = Functional.Linear(input, w1, b1).Tanh();
                Tensor logits = Functional.Linear(hidden, w2).Softmax(1).Log();
                (Functional.CrossEntropy(logits, targets) + hidden.Square().Mean()).Backward();
                using (arena.NoGrad())
                {
                    foreach (Tensor p in (ReadOnlySpan<Tensor>)[w1, b1, w2])
                    {
                        p.AddInPlace(p.Grad!.Value, -0.2f);
                        p.ZeroGrad();
                    }
                }
            }
        }
        // FNV-1a over the raw bits of every parameter.
        ulong hash = 14695981039346656037UL;
        foreach (Tensor p in (ReadOnlySpan<Tensor>)[w1, b1, w2])
            foreach (float v in p.ToArray())
                hash = (hash ^ BitConverter.SingleToUInt32Bits(v)) * 1099511628211UL;
        return hash;
    }
}
