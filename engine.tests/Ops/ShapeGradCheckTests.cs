namespace ArenaGrad.Tests.Ops;

/// <summary>The views and shape ops of issue 16 against finite differences (Autograd.GradCheck), each with a weight so
/// that a wrongly placed gradient shows: every result is multiplied by a second input of its shape before the sum.</summary>
public sealed class ShapeGradCheckTests
{
    /// <summary>GradCheck of <paramref name="op"/>(t[0]) * w, w drawn of the result's shape as the second input.</summary>
    private static void Check(Func<Tensor, Tensor> op, int[] shape, int seed = 1)
    {
        int[] outShape;
        using (var probe = new Arena()) outShape = op(probe.Zeros(shape)).Shape.ToArray();
        Check(t => op(t[0]) * t[1], [shape, outShape], seed);
    }

    private static void Check(TensorFunction program, int[][] shapes, int seed = 1) => GradCheckInputs.Check(program, shapes, seed);

    [Test] public void Narrow_InnerDim() => Check(x => x.Narrow(2, 1, 2), [2, 3, 4]);
    [Test] public void Narrow_NegativeStart() => Check(x => x.Narrow(0, -2, 2), [3, 4]);
    [Test] public void Slice_WithStep() => Check(x => x.Slice(1, 0, 5, 2), [2, 5, 3]);
    [Test] public void Slice_NegativeBoundsClamped() => Check(x => x.Slice(-1, -100, -1, 3), [3, 7]);
    [Test] public void Slice_Empty() => Check(t => t[0].Slice(0, 3, 1).Sum() + t[0].Square().Sum(), [[4, 2]]);
    [Test] public void Select_MiddleDim() => Check(x => x.Select(1, 2), [2, 3, 4]);
    [Test] public void Select_NegativeIndex_ToScalar() => Check(x => x.Select(0, -1), [3]);
    [Test] public void Permute_Rank4() => Check(x => x.Permute(2, 0, 3, 1), [2, 3, 4, 2]);
    [Test] public void Permute_NegativeDims() => Check(x => x.Permute(-1, 0, 1), [2, 3, 4]);
    [Test] public void Unsqueeze_Middle() => Check(x => x.Unsqueeze(1), [2, 3]);
    [Test] public void Unsqueeze_Scalar() => Check(x => x.Unsqueeze(-1), []);
    [Test] public void SqueezeAll() => Check(x => x.Squeeze(), [1, 3, 1, 2]);
    [Test] public void SqueezeDim_SizeOne() => Check(x => x.Squeeze(-2), [3, 1, 2]);
    [Test] public void SqueezeDim_NotSizeOne() => Check(x => x.Squeeze(0), [3, 2]);
    [Test] public void Expand_NewLeadingAndSingleton() => Check(x => x.Expand(2, 3, -1, 4), [3, 1, 4]);
    [Test] public void Expand_Scalar() => Check(x => x.Expand(2, 3), []);
    [Test] public void Expand_ToEmpty() => Check(t => t[0].Expand(0, 3).Sum() + t[0].Square().Sum(), [[1, 3]]);
    [Test] public void Flatten_MiddleDims() => Check(x => x.Flatten(1, 2), [2, 3, 2, 2]);
    [Test] public void Flatten_Scalar() => Check(x => x.Flatten(), []);
    [Test] public void Repeat_SameRank() => Check(x => x.Repeat(2, 3), [2, 3]);
    [Test] public void Repeat_NewLeadingDims() => Check(x => x.Repeat(2, 1, 3, 2), [3, 2]);
    [Test] public void Repeat_Scalar() => Check(x => x.Repeat(3), []);
    [Test] public void Repeat_ByZero() => Check(t => t[0].Repeat(0, 2).Sum() + t[0].Square().Sum(), [[2, 3]]);
    [Test] public void Stack_MiddleDim() => Check(t => Functional.Stack([t[0], t[1], t[0]], 1) * t[2], [[2, 3], [2, 3], [2, 3, 3]]);
    [Test] public void Stack_LastDim() => Check(t => Functional.Stack([t[0], t[1]], -1) * t[2], [[2, 3], [2, 3], [2, 3, 2]]);
    [Test] public void Stack_Scalars() => Check(t => Functional.Stack([t[0], t[1]]) * t[2], [[], [], [2]]);

    [Test]
    public void Split_EveryPieceWeighted() => Check(t =>
    {
        Tensor[] p = t[0].Split(2, 1);
        return (p[0] * t[1]).Sum() + (p[1] * t[2]).Sum() + (p[2] * t[3]).Sum();
    }, [[2, 5], [2, 2], [2, 2], [2, 1]]);

    [Test]
    public void SplitWithSizes_EmptyPieceAndOnlySomeUsed() => Check(t =>
    {
        Tensor[] p = t[0].Split([1, 0, 3], 0);
        return (p[2] * t[1]).Sum() + p[1].Sum();
    }, [[4, 2], [3, 2]]);

    [Test]
    public void Chunk_FewerPiecesThanAsked() => Check(t =>
    {
        Tensor[] p = t[0].Chunk(4, -1); // size 6 in 4 chunks: 2, 2, 2
        Assert.That(p, Has.Length.EqualTo(3));
        return (p[0] * t[1]).Sum() + (p[2] * t[1]).Sum();
    }, [[3, 6], [3, 2]]);

    [Test]
    public void PpoSnippet_GatherFreeForm() => Check(t =>
        // logits.LogSoftmax(1) picked at a fixed action per row through Unsqueeze/Squeeze (Gather is another family's)
        (t[0].LogSoftmax(1).Unsqueeze(1) * t[1].Unsqueeze(2)).Sum(2).Squeeze(1), [[3, 4], [3, 1]]);
}
