namespace ArenaGrad.Tests.Ops;

/// <summary>Every differentiable op, including shapes the golden set does not cover, against finite differences.</summary>
public sealed class GradCheckTests
{
    private static readonly int[] S23 = [2, 3], S3 = [3], S21 = [2, 1], S13 = [1, 3], S234 = [2, 3, 4];

    /// <summary>Runs the public <see cref="Autograd.GradCheck"/> on inputs drawn in ±[0.3, 1.5] (away from the kinks of
    /// relu/abs at 0), or [0.3, 1.5] when <paramref name="positive"/>, all requiring grad.</summary>
    private static void Check(TensorFunction program, int[][] shapes, bool positive = false, int seed = 1)
    {
        var random = new Random(seed);
        using var arena = new Arena();
        var inputs = new Tensor[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            float[] values = Enumerable.Range(0, shapes[i].Aggregate(1, (a, b) => a * b))
                .Select(_ => (float)((0.3 + 1.2 * random.NextDouble()) * (positive || random.Next(2) == 0 ? 1 : -1))).ToArray();
            inputs[i] = arena.FromData(values, shapes[i], requiresGrad: true);
        }
        GradCheckResult result = Autograd.GradCheck(program, inputs, epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.CheckedElements, Is.EqualTo(shapes.Sum(s => s.Aggregate(1, (a, b) => a * b))));
    }

    [Test] public void Add_BroadcastBothWays() => Check(t => t[0] + t[1], [S21, S13]);
    [Test] public void Subtract_BroadcastRightToLeft() => Check(t => t[0] - t[1], [S23, S3]);
    [Test] public void Multiply_BroadcastColumn() => Check(t => t[0] * t[1], [S23, S21]);
    [Test] public void Divide_BroadcastBothWays() => Check(t => t[0] / t[1], [S21, S13], positive: true);
    [Test] public void Divide_SameShape() => Check(t => t[0] / t[1], [S23, S23], positive: true);
    [Test] public void ScalarOperators_AllSixForms() =>
        Check(t => (t[0] + 2f) * (3f - t[0]) + (t[0] - 1f) / 4f + 2f / t[0] + 0.5f * t[0], [S23], positive: true);
    [Test] public void Negate() => Check(t => -t[0], [S23]);
    [Test] public void Exp() => Check(t => t[0].Exp(), [S23]);
    [Test] public void Log() => Check(t => t[0].Log(), [S23], positive: true);
    [Test] public void Tanh() => Check(t => t[0].Tanh(), [S23]);
    [Test] public void Sigmoid() => Check(t => t[0].Sigmoid(), [S23]);
    [Test] public void Relu() => Check(t => t[0].Relu(), [S23]);
    [Test] public void Sqrt() => Check(t => t[0].Sqrt(), [S23], positive: true);
    [Test] public void Abs() => Check(t => t[0].Abs(), [S23]);
    [Test] public void Square() => Check(t => t[0].Square(), [S23]);
    [Test] public void Pow_Fractional() => Check(t => t[0].Pow(1.5f), [S23], positive: true);
    [Test] public void Pow_NegativeInteger() => Check(t => t[0].Pow(-2f), [S23]);
    [Test] public void Pow_OddInteger() => Check(t => t[0].Pow(3f), [S23]);
    [Test] public void LeakyRelu() => Check(t => t[0].LeakyRelu(0.2f), [S23]);
    // Seed 2 puts no value within ε of a bound (a kink), with values inside and outside [min, max].
    [Test] public void Clamp() => Check(t => t[0].Clamp(-0.9f, 0.8f), [S23], seed: 2);

    [Test] public void MatMul_2D() => Check(t => t[0].MatMul(t[1]), [S23, [3, 4]]);
    [Test] public void MatMul_VectorVector() => Check(t => t[0].MatMul(t[1]), [S3, S3]);
    [Test] public void MatMul_VectorMatrix() => Check(t => t[0].MatMul(t[1]), [S3, [3, 2]]);
    [Test] public void MatMul_MatrixVector() => Check(t => t[0].MatMul(t[1]), [S23, S3]);
    [Test] public void MatMul_BatchedWithBroadcastBatch() => Check(t => t[0].MatMul(t[1]), [[2, 1, 2, 3], [3, 3, 2]]);
    [Test] public void MatMul_BatchedTimesMatrix() => Check(t => t[0].MatMul(t[1]), [S234, [4, 2]]);
    [Test] public void Linear_WithBias() => Check(t => Functional.Linear(t[0], t[1], t[2]), [S23, [4, 3], [4]]);
    [Test] public void Linear_WithoutBias_3DInput() => Check(t => Functional.Linear(t[0], t[1]), [S234, [2, 4]]);
    [Test] public void Linear_1DInput() => Check(t => Functional.Linear(t[0], t[1], t[2]), [S3, [2, 3], [2]]);

    [Test] public void Reshape_WithInferredDim() => Check(t => t[0].Reshape(4, -1) * t[0].Reshape(4, -1), [S234]);
    [Test] public void Transpose_OuterDims3D() => Check(t => t[0].Transpose(0, 2) * t[1], [S234, [4, 3, 2]]);
    [Test] public void Cat_ThreeInputsMiddleDim() =>
        Check(t => Functional.Cat([t[0], t[1], t[0]], 1).Square(), [S234, [2, 1, 4]]);

    [Test] public void Sum_All() => Check(t => t[0].Sum() * t[0], [S23]);
    [Test] public void Sum_MiddleDimKeepDim() => Check(t => t[0].Sum(1, keepDim: true) * t[0], [S234]);
    [Test] public void Mean_All() => Check(t => t[0].Mean() * t[0], [S23]);
    [Test] public void Mean_FirstDim() => Check(t => t[0].Mean(0).Square(), [S234]);
    [Test] public void Max_All() => Check(t => t[0].Max() * t[0], [S23]);
    [Test] public void Max_MiddleDim() => Check(t => t[0].Max(1).Square(), [S234]);
    [Test] public void Softmax_LastDim() => Check(t => t[0].Softmax(-1), [S234]);
    [Test] public void Softmax_MiddleDim() => Check(t => t[0].Softmax(1), [S234]);
    [Test] public void LogSoftmax_FirstDim() => Check(t => t[0].LogSoftmax(0), [S234]);
    [Test] public void MseLoss() => Check(t => Functional.MseLoss(t[0], t[1]), [S23, S23]);
    [Test] public void CrossEntropy() => Check(t => Functional.CrossEntropy(t[0], [2, 0]), [S23]);
}
