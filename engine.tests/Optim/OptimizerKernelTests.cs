using System.Runtime.Intrinsics;
using ArenaGrad.Kernels;

namespace ArenaGrad.Tests.Optim;

/// <summary>The fused update kernels give, at every length 0..100 (every vector/tail split) and with NaN, ±Inf, ±0 and
/// subnormals planted, exactly the scalar formula's bits: a trajectory does not depend on the vector width. Each width's
/// code is also run directly (<see cref="OptimizerKernels.RunAtWidth"/>), since the dispatcher only reaches the widest one
/// the machine accelerates: Vector512 runs in software where the CPU lacks AVX-512.</summary>
public sealed class OptimizerKernelTests
{
    /// <summary>Which loop runs the update: the dispatcher, or one width's code (then scalars for the tail).</summary>
    public enum Width { Dispatched, Scalar, Vector128, Vector256, Vector512 }

    private static void Run<TUpdate>(TUpdate update, int n, Width width)
        where TUpdate : IUpdateKernel
    {
        switch (width)
        {
            case Width.Dispatched: OptimizerKernels.Run(update, (nuint)n); break;
            case Width.Scalar: OptimizerKernels.RunAtWidth<TUpdate, float, ScalarLanes>(update, (nuint)n); break;
            case Width.Vector128: OptimizerKernels.RunAtWidth<TUpdate, Vector128<float>, Lanes128>(update, (nuint)n); break;
            case Width.Vector256: OptimizerKernels.RunAtWidth<TUpdate, Vector256<float>, Lanes256>(update, (nuint)n); break;
            case Width.Vector512: OptimizerKernels.RunAtWidth<TUpdate, Vector512<float>, Lanes512>(update, (nuint)n); break;
        }
    }

    /// <summary>Random values with specials planted every 7th element, in a pinned array: the update structs keep
    /// pointers, so the arrays they are made over must not move.</summary>
    private static float[] Data(int n, int seed, bool positive = false)
    {
        var random = new Random(seed);
        float[] values = GC.AllocateArray<float>(n, pinned: true);
        for (int i = 0; i < n; i++) values[i] = (float)(positive ? random.NextDouble() : random.NextDouble() * 2 - 1);
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e-40f];
        for (int i = 0; i < n; i += 7) values[i] = positive ? Math.Abs(special[(i / 7) % special.Length]) : special[(i / 7) % special.Length];
        return values;
    }

    private static void AssertSameBits(float[] actual, float[] expected, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!(float.IsNaN(actual[i]) && float.IsNaN(expected[i])) && BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                Assert.Fail($"{what}[{i}] of {expected.Length}: {actual[i]:R} but the scalar formula gives {expected[i]:R}");
    }

    [Test]
    public void AdamUpdate_EveryLength_MatchesTheScalarFormulaBitForBit(
        [Values(false, true)] bool amsgrad, [Values(false, true)] bool decoupled, [Values] Width width)
    {
        const float beta1 = 0.9f, oneMinusBeta1 = 0.1f, beta2 = 0.999f, oneMinusBeta2 = 0.001f, step = -0.0123f, bc2 = 0.0447f, eps = 1e-8f;
        float decay = decoupled ? 0.999f : 1f, l2 = decoupled ? 0f : 0.01f;
        for (int n = 0; n <= 100; n++)
        {
            float[] p = Data(n, n), g = Data(n, n + 1), m = Data(n, n + 2), v = Data(n, n + 3, positive: true), vMax = Data(n, n + 4, positive: true);
            float[] ep = (float[])p.Clone(), em = (float[])m.Clone(), ev = (float[])v.Clone(), evMax = (float[])vMax.Clone();
            for (int i = 0; i < n; i++)
            {
                float gi = g[i];
                if (decoupled) ep[i] *= decay;
                else gi += l2 * ep[i];
                em[i] = em[i] * beta1 + oneMinusBeta1 * gi;
                ev[i] = ev[i] * beta2 + oneMinusBeta2 * gi * gi;
                float second = ev[i];
                if (amsgrad) second = evMax[i] = MathF.Max(evMax[i], ev[i]);
                ep[i] += step * em[i] / (MathF.Sqrt(second) / bc2 + eps);
            }
            Run(new AdamUpdate(p, g, m, v, vMax, decay, l2, beta1, oneMinusBeta1, beta2, oneMinusBeta2, step, bc2, eps, amsgrad), n, width);
            AssertSameBits(p, ep, $"p (n={n})");
            AssertSameBits(m, em, $"m (n={n})");
            AssertSameBits(v, ev, $"v (n={n})");
            AssertSameBits(vMax, evMax, $"vMax (n={n})");
        }
    }

    [Test]
    public void SgdUpdate_EveryLength_MatchesTheScalarFormulaBitForBit(
        [Values(0f, 0.9f)] float momentum, [Values(false, true)] bool firstStep, [Values(false, true)] bool nesterov,
        [Values] Width width)
    {
        const float negativeLearningRate = -0.05f, weightDecay = 1e-3f, oneMinusDampening = 0.75f;
        for (int n = 0; n <= 100; n++)
        {
            float[] p = Data(n, n), g = Data(n, n + 1), buffer = Data(n, n + 2);
            float[] ep = (float[])p.Clone(), eb = (float[])buffer.Clone();
            for (int i = 0; i < n; i++)
            {
                float d = g[i] + weightDecay * ep[i];
                if (momentum != 0f)
                {
                    eb[i] = firstStep ? d : eb[i] * momentum + oneMinusDampening * d;
                    d = nesterov ? d + momentum * eb[i] : eb[i];
                }
                ep[i] += negativeLearningRate * d;
            }
            Run(new SgdUpdate(p, g, buffer, negativeLearningRate, weightDecay, momentum, oneMinusDampening, firstStep, nesterov), n, width);
            AssertSameBits(p, ep, $"p (n={n})");
            AssertSameBits(buffer, eb, $"buffer (n={n})");
        }
    }

    [Test]
    public void PythonFloatRepr_MatchesPythonsRepr()
    {
        float[] values = [-1f, 0.001f, 1e-8f, 1e16f, 0.0001f, 1e-5f, 123.5f, 0.1f, 1.5e20f, 2.5e-7f, 0f, float.PositiveInfinity];
        string[] python = ["-1.0", "0.001", "1e-08", "1e+16", "0.0001", "1e-05", "123.5", "0.1", "1.5e+20", "2.5e-07", "0.0", "inf"];
        Assert.That(values.Select(ArenaGrad.Nn.PythonFloat.Repr), Is.EqualTo(python));
        Assert.That(ArenaGrad.Nn.PythonFloat.ToDouble(0.9f), Is.EqualTo(0.9), "the decimal the user wrote, as Python's double");
    }
}
