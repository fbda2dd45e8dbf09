using System;
using NUnit.Framework;

namespace ArenaGrad.Tests.Reliability;

/// <summary>Values and gradients at the edges (NaN, ±inf, ±0, ties, tiny divisors), each as PyTorch 1.13 gives
/// them (the expected numbers were printed by torch 1.13 and are written here as it printed them).</summary>
public class EdgeGradientTests
{
    private const float NaN = float.NaN;
    private const float Inf = float.PositiveInfinity;

    /// <summary>y = f(x) for a leaf x, y.Backward(seed or ones); checks y and x.grad elementwise
    /// (NaN matches NaN, infinities exactly, the rest within 1e-6 relative; the sign of zero is not compared).</summary>
    private static void Check(Func<Tensor, Tensor> f, float[] x, float[] y, float[] grad, float[]? seed = null, int[]? shape = null)
    {
        using var arena = new Arena();
        Tensor input = arena.FromData(x, shape ?? [x.Length], requiresGrad: true);
        Tensor output = f(input);
        output.Backward(seed is null ? arena.Ones(output.Shape) : arena.FromData(seed, output.Shape.ToArray()));
        AssertClose(output.ToArray(), y, "value");
        AssertClose(input.Grad!.Value.ToArray(), grad, "grad");
    }

    private static void AssertClose(float[] actual, float[] expected, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            float a = actual[i], e = expected[i];
            bool ok = float.IsNaN(e) ? float.IsNaN(a) : float.IsInfinity(e) ? a == e : Math.Abs(a - e) <= 1e-6f * Math.Abs(e);
            Assert.That(ok, $"{what}[{i}]: expected {e:R}, got {a:R} (all: [{string.Join(", ", actual)}])");
        }
    }

    [Test]
    public void MaxAll_WithNaN_SharesGradientEvenlyBetweenTheNaNs()
    {
        // torch.max(): evenly_distribute_backward masks the NaN positions when the max is NaN.
        Check(t => t.Max(), [1f, NaN, 3f, NaN], [NaN], [0f, 0.5f, 0f, 0.5f]);
        Check(t => t.Max(), [1f, NaN, 3f], [NaN], [0f, 1f, 0f]);
        Check(t => t.Max(), [1f, NaN, NaN], [NaN], [0f, 1f, 1f], seed: [2f]);
    }

    [Test]
    public void MaxAll_TiesWithInfiniteGradient_GiveInfiniteSharesAndZeroElsewhere()
    {
        Check(t => t.Max(), [3f, 1f, 3f], [3f], [0.5f, 0f, 0.5f]);
        Check(t => t.Max(), [3f, 1f, 3f], [3f], [Inf, 0f, Inf], seed: [Inf]);
    }

    [Test]
    public void Amax_WithNaN_GivesNaNToTheWholeSlice()
    {
        // torch.amax: scale_grad_by_count compares with ==, which no NaN satisfies: (g / 0) * 0 = NaN.
        Check(t => t.Max(0), [1f, NaN, 3f, NaN], [NaN], [NaN, NaN, NaN, NaN]);
        Check(t => t.Max(1), [1f, NaN, 3f, 2f, 5f, 5f], [NaN, 5f], [NaN, NaN, NaN, 0f, 0.5f, 0.5f], shape: [2, 3]);
        Check(t => t.Max(0), [1f, NaN, NaN, 2f], [NaN, NaN], [NaN, NaN, NaN, NaN], shape: [2, 2]);
        // An infinite g gives 0 * inf = NaN off the max.
        Check(t => t.Max(1), [1f, NaN, 3f, 2f, 5f, 5f], [NaN, 5f], [NaN, NaN, NaN, NaN, Inf, Inf], seed: [Inf, Inf], shape: [2, 3]);
        Check(t => t.Max(0), [3f, 1f, 3f], [3f], [0.5f, 0f, 0.5f]);
    }

    [Test]
    public void Relu_AtNaNPassesGradient_AtZeroBlocksIt()
    {
        // threshold_backward(grad, result, 0): result <= 0 ? 0 : grad, and NaN <= 0 is false.
        Check(t => t.Relu(), [NaN, 0f, -0f, 1f, -1f], [NaN, 0f, -0f, 1f, 0f], [1f, 0f, 0f, 1f, 0f]);
    }

    [Test]
    public void LeakyRelu_AtNaNAndZero_UsesTheSlope()
    {
        Check(t => t.LeakyRelu(0.1f), [NaN, 0f, -0f, 1f, -1f], [NaN, 0f, -0f, 1f, -0.1f], [0.1f, 0.1f, 0.1f, 1f, 0.1f]);
    }

    [Test]
    public void Clamp_NaNInputNaNBoundAndMinAboveMax_MatchPyTorch()
    {
        Check(t => t.Clamp(-1f, 1f), [NaN, -1f, 1f, 2f, -2f, 0.5f], [NaN, -1f, 1f, 1f, -1f, 0.5f], [0f, 1f, 1f, 0f, 0f, 1f]);
        Check(t => t.Clamp(NaN, 1f), [0.5f, 2f], [NaN, NaN], [0f, 0f]);
        Check(t => t.Clamp(2f, 1f), [0.5f, 1.5f, 3f], [1f, 1f, 1f], [0f, 0f, 0f]);
    }

    [Test]
    public void AbsSqrtLog_AtNaNZeroAndNegative_MatchPyTorch()
    {
        Check(t => t.Abs(), [NaN, 0f, -0f, 1f, -1f], [NaN, 0f, 0f, 1f, 1f], [0f, 0f, 0f, 1f, -1f]);
        Check(t => t.Sqrt(), [NaN, 0f, -1f, 4f], [NaN, 0f, NaN, 2f], [NaN, Inf, NaN, 0.25f]);
        Check(t => t.Log(), [NaN, 0f, -1f, 4f], [NaN, float.NegativeInfinity, NaN, 1.3862943649291992f], [NaN, Inf, -1f, 0.25f]);
    }

    [TestCase(0f, new[] { 1f, 1f, 1f, 1f, 1f, 1f }, new[] { 0f, 0f, 0f, 0f, 0f, 0f })]
    [TestCase(1f, new[] { NaN, 0f, -0f, -1f, 2f, -2f }, new[] { 1f, 1f, 1f, 1f, 1f, 1f })]
    [TestCase(2f, new[] { NaN, 0f, 0f, 1f, 4f, 4f }, new[] { NaN, 0f, -0f, -2f, 4f, -4f })]
    [TestCase(3f, new[] { NaN, 0f, -0f, -1f, 8f, -8f }, new[] { NaN, 0f, 0f, 3f, 12f, 12f })]
    [TestCase(0.5f, new[] { NaN, 0f, -0f, NaN, 1.4142135381698608f, NaN }, new[] { NaN, Inf, float.NegativeInfinity, NaN, 0.3535533845424652f, NaN })]
    [TestCase(-1f, new[] { NaN, Inf, float.NegativeInfinity, -1f, 0.5f, -0.5f }, new[] { NaN, float.NegativeInfinity, float.NegativeInfinity, -1f, -0.25f, -0.25f })]
    [TestCase(-0.5f, new[] { NaN, Inf, float.NegativeInfinity, NaN, 0.7071067690849304f, NaN }, new[] { NaN, float.NegativeInfinity, float.NegativeInfinity, NaN, -0.1767766922712326f, NaN })]
    [TestCase(2.5f, new[] { NaN, 0f, 0f, NaN, 5.656854152679443f, NaN }, new[] { NaN, 0f, 0f, NaN, 7.071067810058594f, NaN })]
    [TestCase(NaN, new[] { NaN, NaN, NaN, NaN, NaN, NaN }, new[] { NaN, NaN, NaN, NaN, NaN, NaN })]
    public void Pow_AtNaNZerosAndNegatives_MatchesPyTorch(float exponent, float[] y, float[] grad)
    {
        Check(t => t.Pow(exponent), [NaN, 0f, -0f, -1f, 2f, -2f], y, grad);
    }

    [Test]
    public void TanhSigmoidExp_AtNaNAndInfinity_MatchPyTorch()
    {
        Check(t => t.Tanh(), [NaN, Inf], [NaN, 1f], [NaN, 0f]);
        Check(t => t.Sigmoid(), [NaN, Inf, float.NegativeInfinity], [NaN, 1f, 0f], [NaN, 0f, 0f]);
        Check(t => t.Exp(), [NaN, Inf, float.NegativeInfinity], [NaN, Inf, 0f], [NaN, Inf, 0f]);
    }

    [Test]
    public void DivideByTinyScalar_DividesTheGradient_InsteadOfMultiplyingByAnOverflowedReciprocal()
    {
        // 1 / 1e-39 overflows to inf; g / 1e-39 with g = 1e-10 is 1e29. Before: inf.
        Check(t => t / 1e-39f * 1e-10f, [1e-40f, 1f], [9.99994444889074e-12f, Inf], [9.999998261528069e+28f, 9.999998261528069e+28f]);
        Check(t => t / 1e-45f * 1e-10f, [1e-40f, 1f], [7.136200110835489e-06f, Inf], [7.136238558808802e+34f, 7.136238558808802e+34f]);
        Check(t => t / 3f, [1f, 2f], [0.3333333432674408f, 0.6666666865348816f], [0.3333333432674408f, 0.3333333432674408f]);
    }

    [Test]
    public void Mean_DividesByTheCountForwardAndBackward()
    {
        Check(t => t.Mean(), [1f, 2f, 4f], [2.3333332538604736f], [0.3333333432674408f, 0.3333333432674408f, 0.3333333432674408f]);
        Check(t => t.Mean(0), [1f, 2f, 4f, 5f, 7f, 8f], [4f, 5f], [1f / 3, 1f / 3, 1f / 3, 1f / 3, 1f / 3, 1f / 3], shape: [3, 2]);
    }

    [Test]
    public void LinearBias_ThatExpandsAsAddmmAllows_IsBroadcastAndItsGradientSummed()
    {
        // PyTorch: F.linear(ones(2,4), ones(2,4), [[1],[2]]) = [[5,5],[6,6]]; with upstream [[1,2],[3,4]], b.grad = [[3],[7]].
        using var arena = new Arena();
        Tensor b = arena.FromData([1f, 2f], [2, 1], requiresGrad: true);
        Tensor y = Functional.Linear(arena.Ones([2, 4]), arena.Ones([2, 4]), b);
        Assert.That(y.ToArray(), Is.EqualTo((float[])[5f, 5f, 6f, 6f]));
        (y * arena.FromData([1f, 2f, 3f, 4f], [2, 2])).Sum().Backward();
        Assert.That(b.Grad!.Value.ToArray(), Is.EqualTo((float[])[3f, 7f]));
        Assert.That(b.Grad!.Value.Shape.ToArray(), Is.EqualTo((int[])[2, 1]));

        Tensor one = arena.FromData([10f], requiresGrad: true);
        Tensor z = Functional.Linear(arena.Ones([3, 4]), arena.Ones([2, 4]), one);
        Assert.That(z.ToArray(), Is.EqualTo((float[])[14f, 14f, 14f, 14f, 14f, 14f]));
        z.Sum().Backward();
        Assert.That(one.Grad!.Value.ToArray(), Is.EqualTo((float[])[6f]));
    }

    [TestCase(3, new[] { 2, 1 }, "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0.  Target sizes: [3, 2].  Tensor sizes: [2, 1]")]
    [TestCase(1, new[] { 2, 1 }, "The expanded size of the tensor (1) must match the existing size (2) at non-singleton dimension 0.  Target sizes: [1, 2].  Tensor sizes: [2, 1]")]
    [TestCase(3, new[] { 3 }, "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [3, 2].  Tensor sizes: [3]")]
    [TestCase(3, new[] { 2, 2 }, "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0.  Target sizes: [3, 2].  Tensor sizes: [2, 2]")]
    [TestCase(3, new[] { 1, 1, 2 }, "expand(torch.FloatTensor{[1, 1, 2]}, size=[3, 2]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)")]
    [TestCase(0, new[] { 2, 1 }, "output with shape [2] doesn't match the broadcast shape [2, 2]")]
    [TestCase(0, new[] { 3 }, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0")]
    public void LinearBias_ThatDoesNotExpand_IsRefusedWithPyTorchsMessage(int rows, int[] biasShape, string message)
    {
        // rows 0 stands for a 1-D input [4].
        using var arena = new Arena();
        Tensor x = rows == 0 ? arena.Ones([4]) : arena.Ones([rows, 4]);
        Tensor w = arena.Ones([2, 4], requiresGrad: true);
        Tensor b = arena.Zeros(biasShape, requiresGrad: true);
        int tensors = arena.TensorCount;
        var e = Assert.Throws<ArgumentException>(() => Functional.Linear(x, w, b));
        Assert.That(e!.Message, Does.StartWith(message));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
    }

    [Test]
    public void Linear_WithZeroInputFeatures_ReturnsTheBiasBroadcastAndZeroSizedGradients()
    {
        // PyTorch: linear(zeros(3,0), zeros(2,0), [1,2]) = [[1,2]]*3; x.grad [3,0], w.grad [2,0], b.grad [3,3].
        using var arena = new Arena();
        Tensor x = arena.Zeros([3, 0], requiresGrad: true);
        Tensor w = arena.Zeros([2, 0], requiresGrad: true);
        Tensor b = arena.FromData([1f, 2f], requiresGrad: true);
        Tensor y = Functional.Linear(x, w, b);
        Assert.That(y.Shape.ToArray(), Is.EqualTo((int[])[3, 2]));
        Assert.That(y.ToArray(), Is.EqualTo((float[])[1f, 2f, 1f, 2f, 1f, 2f]));
        y.Sum().Backward();
        Assert.That(x.Grad!.Value.Shape.ToArray(), Is.EqualTo((int[])[3, 0]));
        Assert.That(w.Grad!.Value.Shape.ToArray(), Is.EqualTo((int[])[2, 0]));
        Assert.That(b.Grad!.Value.ToArray(), Is.EqualTo((float[])[3f, 3f]));

        Tensor noBias = Functional.Linear(arena.Zeros([3, 0]), arena.Zeros([2, 0]));
        Assert.That(noBias.ToArray(), Is.EqualTo(new float[6]));
    }
}
