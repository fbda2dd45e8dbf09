namespace ArenaGrad.Tests.Ops;

/// <summary>Every differentiable op, including shapes the golden set does not cover, against finite differences.</summary>
public sealed class GradCheckTests
{
    private static readonly int[] S23 = [2, 3], S3 = [3], S21 = [2, 1], S13 = [1, 3], S234 = [2, 3, 4];

    [Test] public void Add_BroadcastBothWays() => GradCheck.Run(t => t[0] + t[1], [S21, S13]);
    [Test] public void Subtract_BroadcastRightToLeft() => GradCheck.Run(t => t[0] - t[1], [S23, S3]);
    [Test] public void Multiply_BroadcastColumn() => GradCheck.Run(t => t[0] * t[1], [S23, S21]);
    [Test] public void Divide_BroadcastBothWays() => GradCheck.Run(t => t[0] / t[1], [S21, S13], positive: true);
    [Test] public void Divide_SameShape() => GradCheck.Run(t => t[0] / t[1], [S23, S23], positive: true);
    [Test] public void ScalarOperators_AllSixForms() =>
        GradCheck.Run(t => (t[0] + 2f) * (3f - t[0]) + (t[0] - 1f) / 4f + 2f / t[0] + 0.5f * t[0], [S23], positive: true);
    [Test] public void Negate() => GradCheck.Run(t => -t[0], [S23]);
    [Test] public void Exp() => GradCheck.Run(t => t[0].Exp(), [S23]);
    [Test] public void Log() => GradCheck.Run(t => t[0].Log(), [S23], positive: true);
    [Test] public void Tanh() => GradCheck.Run(t => t[0].Tanh(), [S23]);
    [Test] public void Sigmoid() => GradCheck.Run(t => t[0].Sigmoid(), [S23]);
    [Test] public void Relu() => GradCheck.Run(t => t[0].Relu(), [S23]);
    [Test] public void Sqrt() => GradCheck.Run(t => t[0].Sqrt(), [S23], positive: true);
    [Test] public void Abs() => GradCheck.Run(t => t[0].Abs(), [S23]);
    [Test] public void Square() => GradCheck.Run(t => t[0].Square(), [S23]);
    [Test] public void Pow_Fractional() => GradCheck.Run(t => t[0].Pow(1.5f), [S23], positive: true);
    [Test] public void Pow_NegativeInteger() => GradCheck.Run(t => t[0].Pow(-2f), [S23]);
    [Test] public void Pow_OddInteger() => GradCheck.Run(t => t[0].Pow(3f), [S23]);
    [Test] public void LeakyRelu() => GradCheck.Run(t => t[0].LeakyRelu(0.2f), [S23]);
    // Seed 2 puts no value within ε of a bound (a kink), with values inside and outside [min, max].
    [Test] public void Clamp() => GradCheck.Run(t => t[0].Clamp(-0.9f, 0.8f), [S23], seed: 2);

    [Test] public void MatMul_2D() => GradCheck.Run(t => t[0].MatMul(t[1]), [S23, [3, 4]]);
    [Test] public void MatMul_VectorVector() => GradCheck.Run(t => t[0].MatMul(t[1]), [S3, S3]);
    [Test] public void MatMul_VectorMatrix() => GradCheck.Run(t => t[0].MatMul(t[1]), [S3, [3, 2]]);
    [Test] public void MatMul_MatrixVector() => GradCheck.Run(t => t[0].MatMul(t[1]), [S23, S3]);
    [Test] public void MatMul_BatchedWithBroadcastBatch() => GradCheck.Run(t => t[0].MatMul(t[1]), [[2, 1, 2, 3], [3, 3, 2]]);
    [Test] public void MatMul_BatchedTimesMatrix() => GradCheck.Run(t => t[0].MatMul(t[1]), [S234, [4, 2]]);
    [Test] public void Linear_WithBias() => GradCheck.Run(t => Functional.Linear(t[0], t[1], t[2]), [S23, [4, 3], [4]]);
    [Test] public void Linear_WithoutBias_3DInput() => GradCheck.Run(t => Functional.Linear(t[0], t[1]), [S234, [2, 4]]);
    [Test] public void Linear_1DInput() => GradCheck.Run(t => Functional.Linear(t[0], t[1], t[2]), [S3, [2, 3], [2]]);

    [Test] public void Reshape_WithInferredDim() => GradCheck.Run(t => t[0].Reshape(4, -1) * t[0].Reshape(4, -1), [S234]);
    [Test] public void Transpose_OuterDims3D() => GradCheck.Run(t => t[0].Transpose(0, 2) * t[1], [S234, [4, 3, 2]]);
    [Test] public void Cat_ThreeInputsMiddleDim() =>
        GradCheck.Run(t => Functional.Cat([t[0], t[1], t[0]], 1).Square(), [S234, [2, 1, 4]]);

    [Test] public void Sum_All() => GradCheck.Run(t => t[0].Sum() * t[0], [S23]);
    [Test] public void Sum_MiddleDimKeepDim() => GradCheck.Run(t => t[0].Sum(1, keepDim: true) * t[0], [S234]);
    [Test] public void Mean_All() => GradCheck.Run(t => t[0].Mean() * t[0], [S23]);
    [Test] public void Mean_FirstDim() => GradCheck.Run(t => t[0].Mean(0).Square(), [S234]);
    [Test] public void Max_All() => GradCheck.Run(t => t[0].Max() * t[0], [S23]);
    [Test] public void Max_MiddleDim() => GradCheck.Run(t => t[0].Max(1).Square(), [S234]);
    [Test] public void Softmax_LastDim() => GradCheck.Run(t => t[0].Softmax(-1), [S234]);
    [Test] public void Softmax_MiddleDim() => GradCheck.Run(t => t[0].Softmax(1), [S234]);
    [Test] public void LogSoftmax_FirstDim() => GradCheck.Run(t => t[0].LogSoftmax(0), [S234]);
    [Test] public void MseLoss() => GradCheck.Run(t => Functional.MseLoss(t[0], t[1]), [S23, S23]);
    [Test] public void CrossEntropy() => GradCheck.Run(t => Functional.CrossEntropy(t[0], [2, 0]), [S23]);
}
