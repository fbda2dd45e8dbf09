namespace ArenaGrad.Tests.Ops;

/// <summary>index (issue 16): every differentiable op of the family against finite differences (Autograd.GradCheck),
/// with duplicate indices (gradients that accumulate), broadcast masks and conditions, negative dims and 0-d tensors.</summary>
public sealed class IndexGradCheckTests
{
    /// <summary>Runs GradCheck on inputs drawn in ±[0.3, 1.5], all requiring grad.</summary>
    private static void Check(TensorFunction program, int[][] shapes, int seed = 1) => GradCheckInputs.Check(program, shapes, seed);

    private static Tensor Ints(Tensor like, int[] values, params int[] shape) => like.Arena.FromData(values, shape);

    private static Tensor Bools(Tensor like, int[] values, params int[] shape) =>
        like.Arena.FromData(values.Select(v => v != 0).ToArray(), shape);

    // A weighting so that duplicate and missing indices show up in the gradient (a plain sum would hide a permutation).
    private static Tensor Weighted(Tensor y) => (y * y.Arena.FromData(Enumerable.Range(1, y.Count).Select(i => 0.5f + 0.25f * i).ToArray(),
        y.Shape.ToArray())).Sum();

    [Test] public void IndexSelect_Dim1_WithDuplicates() => Check(t => Weighted(t[0].IndexSelect(1, Ints(t[0], [3, 0, 3, 1], 4))), [[2, 4]]);
    [Test] public void IndexSelect_NegativeDim_3D() => Check(t => Weighted(t[0].IndexSelect(-3, Ints(t[0], [1, 1], 2))), [[2, 3, 2]]);
    [Test] public void IndexSelect_ScalarIndexAndScalarSelf() =>
        Check(t => t[0].IndexSelect(0, Ints(t[0], [0])) * 3f + t[1].IndexSelect(0, Ints(t[0], [2])).Sum() , [[], [4]]);

    [Test] public void Gather_Dim1_WithDuplicates() =>
        Check(t => Weighted(t[0].Gather(1, Ints(t[0], [0, 0, 3, 2, 1, 1], 2, 3))), [[2, 4]]);
    [Test] public void Gather_Dim0_IndexSmallerThanSelf() =>
        Check(t => Weighted(t[0].Gather(0, Ints(t[0], [2, 0, 1, 1, 2, 0, 0, 0], 4, 2))), [[3, 3]]);
    [Test] public void Gather_NegativeDim_3D() =>
        Check(t => Weighted(t[0].Gather(-1, Ints(t[0], [1, 0, 0, 1, 1, 1, 0, 0], 2, 2, 2))), [[2, 2, 2]]);

    [Test] public void ScatterAdd_SelfAndSource_WithDuplicates() =>
        Check(t => Weighted(t[0].ScatterAdd(1, Ints(t[0], [0, 0, 3, 2, 2, 2], 2, 3), t[1])), [[2, 4], [2, 3]]);
    [Test] public void ScatterAdd_SourceLargerThanIndex() =>
        Check(t => Weighted(t[0].ScatterAdd(0, Ints(t[0], [1, 0, 1], 1, 3), t[1])), [[2, 3], [2, 4]]);

    [Test] public void MaskedFill_SameShape() =>
        Check(t => Weighted(t[0].MaskedFill(Bools(t[0], [1, 0, 0, 1, 1, 0], 2, 3), -2f)), [[2, 3]]);
    [Test] public void MaskedFill_MaskBroadcastsSelf() =>
        Check(t => Weighted(t[0].MaskedFill(Bools(t[0], [1, 0, 0, 0, 1, 1], 2, 3), float.NaN).MaskedFill(Bools(t[0], [1, 1, 1, 1, 1, 1], 2, 3), 1f) + t[0]), [[3]]);
    [Test] public void MaskedFill_SelfBroadcastAgainstMask() =>
        Check(t => Weighted(t[0].MaskedFill(Bools(t[0], [1, 0, 1], 3), 0.5f)), [[2, 1]]);

    [Test] public void Where_SameShape() =>
        Check(t => Weighted(Functional.Where(Bools(t[0], [1, 0, 0, 1, 1, 0], 2, 3), t[0], t[1])), [[2, 3], [2, 3]]);
    [Test] public void Where_AllThreeBroadcast() =>
        Check(t => Weighted(Functional.Where(Bools(t[0], [1, 0, 1], 3), t[0], t[1])), [[2, 1], [2, 3]]);
    [Test] public void Where_ConditionBroadcastsInputs() =>
        Check(t => Weighted(Functional.Where(Bools(t[0], [1, 0, 1, 0, 0, 1, 1, 1], 2, 4), t[0], t[1])), [[4], []]);
    [Test] public void Where_FloatB() =>
        Check(t => Weighted(Functional.Where(Bools(t[0], [0, 1, 1, 0], 2, 2), t[0], -1.5f)), [[2, 1]]);

    [Test] public void Masks_FromComparisons() =>
        Check(t => Weighted(Functional.Where(t[0].Gt(t[1]), t[0], t[1]).MaskedFill(t[0].Lt(0f).LogicalAnd(t[1].Lt(0f)), 0f)), [[2, 3], [3]]);

    [Test] public void CrossEntropyProbabilities_Mean() =>
        Check(t => Functional.CrossEntropy(t[0], t[1]), [[3, 4], [3, 4]]);
    [Test] public void CrossEntropyProbabilities_SmoothedSum() =>
        Check(t => Functional.CrossEntropy(t[0], t[1], Reduction.Sum, labelSmoothing: 0.3f), [[2, 5], [2, 5]]);
    [Test] public void CrossEntropyProbabilities_None1D() =>
        Check(t => Functional.CrossEntropy(t[0], t[1], Reduction.None, labelSmoothing: 0.1f) * 2f, [[4], [4]]);
    [Test] public void CrossEntropyProbabilities_NoneRows() =>
        Check(t => Weighted(Functional.CrossEntropy(t[0], t[1], Reduction.None)), [[3, 2], [3, 2]]);

    [Test] public void CrossEntropy_Int32TargetTensor() =>
        Check(t => Functional.CrossEntropy(t[0], Ints(t[0], [2, -100, 0], 3), labelSmoothing: 0.2f), [[3, 4]]);
    [Test] public void NllLoss_Int32TargetTensor() =>
        Check(t => Weighted(Functional.NllLoss(t[0], Ints(t[0], [1, 3, 1], 3), Reduction.None)), [[3, 4]]);
}
