namespace ArenaGrad.Tests.Memory;

/// <summary>requires_grad as a bitmask: subgraphs that need no gradient record nothing and cost nothing in backward.</summary>
public sealed class SkippedSubgraphTests
{
    [Test]
    public void ProgramWithoutGradInputs_RecordsNoTapeEntries_AndReservesNoGradientBytes()
    {
        using var arena = new Arena();
        Tensor x = arena.Randn([4, 8]), w = arena.Randn([8, 3]), b = arena.Randn([3]);
        Tensor loss = Functional.CrossEntropy(x.MatMul(w).Tanh() + b, [0, 1, 2, 0]);
        _ = Functional.Cat([loss.Reshape(1), x.Sum(1).Softmax(0).Max(0, keepDim: true)], 0);
        Assert.That(arena.TapeLength, Is.Zero);
        Assert.That(arena.GradientBytes, Is.Zero);
    }

    [Test]
    public void FrozenBranchFeedingTrainableHead_BackwardExecutesOnlyTheHead()
    {
        using var arena = new Arena();
        // Frozen feature extractor: 3 ops, none recorded.
        Tensor input = arena.Randn([4, 8]), frozen1 = arena.Randn([8, 8]), frozen2 = arena.Randn([8, 8]);
        Tensor features = input.MatMul(frozen1).Relu().MatMul(frozen2);
        Assert.That(arena.TapeLength, Is.Zero);
        // Trainable head: linear, tanh, mean = 3 instructions.
        Tensor headW = arena.Randn([2, 8], requiresGrad: true), headB = arena.Zeros([2], requiresGrad: true);
        Tensor loss = Functional.Linear(features, headW, headB).Tanh().Mean();
        Assert.That(arena.TapeLength, Is.EqualTo(3));
        loss.Backward();
        Assert.That(arena.LastBackwardInstructionCount, Is.EqualTo(3));
        Assert.That(headW.Grad.HasValue && headB.Grad.HasValue, Is.True);
        Assert.That(frozen1.Grad.HasValue || frozen2.Grad.HasValue || input.Grad.HasValue, Is.False);
    }

    [Test]
    public void Backward_SkipsInstructionsNoGradientReaches()
    {
        using var arena = new Arena();
        Tensor a = arena.Ones([3], requiresGrad: true);
        Tensor unused = a.Exp().Tanh(); // 2 instructions that do not lead to the root
        Tensor loss = (a * 2f).Sum();  // 2 instructions
        Assert.That(arena.TapeLength, Is.EqualTo(4));
        loss.Backward();
        Assert.That(arena.LastBackwardInstructionCount, Is.EqualTo(2));
        Assert.That(unused.RequiresGrad, Is.True);
    }
}
