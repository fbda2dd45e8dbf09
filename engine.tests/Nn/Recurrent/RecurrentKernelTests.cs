using System.Runtime.Intrinsics;
using ArenaGrad.Kernels;

namespace ArenaGrad.Tests.Nn.Recurrent;

/// <summary>The fused GRU and LSTM kernels run directly at each width (OptimizerKernels.RunAtWidth: Vector512 runs in
/// software where the CPU lacks AVX-512), for row lengths that leave every kind of tail: every width gives the scalar
/// path's bits, and the scalar path agrees with the formulas in double precision.</summary>
public sealed unsafe class RecurrentKernelTests
{
    public enum Width { Scalar, Vector128, Vector256, Vector512 }

    private static readonly int[] Hiddens = [1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64];

    private static void Run<TUpdate>(TUpdate update, int n, Width width) where TUpdate : IUpdateKernel
    {
        switch (width)
        {
            case Width.Scalar: OptimizerKernels.RunAtWidth<TUpdate, float, ScalarLanes>(update, (nuint)n); break;
            case Width.Vector128: OptimizerKernels.RunAtWidth<TUpdate, Vector128<float>, Lanes128>(update, (nuint)n); break;
            case Width.Vector256: OptimizerKernels.RunAtWidth<TUpdate, Vector256<float>, Lanes256>(update, (nuint)n); break;
            default: OptimizerKernels.RunAtWidth<TUpdate, Vector512<float>, Lanes512>(update, (nuint)n); break;
        }
    }

    private static float[] Random(int n, int seed, float scale = 3f)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale))];
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Runs forward and backward of all three cells at <paramref name="width"/>; returns every output buffer.</summary>
    private static float[][] RunAll(int hidden, Width width)
    {
        float[] gi = Random(4 * hidden, 1), gh = Random(4 * hidden, 2), state = Random(hidden, 3), g = Random(hidden, 4, 1f);
        float[] gruY = new float[hidden], gruSaved = new float[3 * hidden], gruDgi = Random(3 * hidden, 5, 0.1f), gruDgh = Random(3 * hidden, 6, 0.1f), gruDh = Random(hidden, 7, 0.1f);
        float[] cY = new float[hidden], cSaved = new float[3 * hidden], cDgi = Random(4 * hidden, 8, 0.1f), cDgh = Random(4 * hidden, 9, 0.1f), cDc = Random(hidden, 10, 0.1f);
        float[] hY = new float[hidden], hSaved = new float[2 * hidden], hDgi = Random(4 * hidden, 11, 0.1f), hDgh = Random(4 * hidden, 12, 0.1f), hDc = Random(hidden, 13, 0.1f);
        fixed (float* pgi = gi, pgh = gh, ps = state, pg = g, py = gruY, psv = gruSaved, pdgi = gruDgi, pdgh = gruDgh, pdh = gruDh)
        fixed (float* pcy = cY, pcs = cSaved, pcdgi = cDgi, pcdgh = cDgh, pcdc = cDc, phy = hY, phs = hSaved, phdgi = hDgi, phdgh = hDgh, phdc = hDc)
        {
            Run(new GruCellForward(pgi, pgh, ps, py, psv, hidden), hidden, width);
            Run(new GruCellBackward(pg, psv, pgh, ps, pdgi, pdgh, pdh, hidden), hidden, width);
            Run(new LstmCellStateForward(pgi, pgh, ps, pcy, pcs, hidden), hidden, width);
            Run(new LstmCellStateBackward(pg, pcs, ps, pcdgi, pcdgh, pcdc, hidden), hidden, width);
            Run(new LstmCellOutputForward(pgi, pgh, pcy, phy, phs, hidden), hidden, width);
            Run(new LstmCellOutputBackward(pg, phs, phdgi, phdgh, phdc, hidden), hidden, width);
        }
        return [gruY, gruSaved, gruDgi, gruDgh, gruDh, cY, cSaved, cDgi, cDgh, cDc, hY, hSaved, hDgi, hDgh, hDc];
    }

    [Test]
    public void EveryWidth_GivesTheScalarPathsBits_ForwardAndBackward(
        [Values(Width.Vector128, Width.Vector256, Width.Vector512)] Width width, [ValueSource(nameof(Hiddens))] int hidden)
    {
        float[][] scalar = RunAll(hidden, Width.Scalar), vector = RunAll(hidden, width);
        for (int i = 0; i < scalar.Length; i++)
            Assert.That(vector[i].Select(BitConverter.SingleToInt32Bits), Is.EqualTo(scalar[i].Select(BitConverter.SingleToInt32Bits)), $"buffer {i}");
    }

    [Test]
    public void ScalarPath_AgreesWithTheFormulasInDouble([ValueSource(nameof(Hiddens))] int hidden)
    {
        float[][] o = RunAll(hidden, Width.Scalar);
        float[] gi = Random(4 * hidden, 1), gh = Random(4 * hidden, 2), s = Random(hidden, 3), g = Random(hidden, 4, 1f);
        float[] gruDgi0 = Random(3 * hidden, 5, 0.1f), gruDgh0 = Random(3 * hidden, 6, 0.1f), gruDh0 = Random(hidden, 7, 0.1f);
        float[] cDgi0 = Random(4 * hidden, 8, 0.1f), cDc0 = Random(hidden, 10, 0.1f), hDgh0 = Random(4 * hidden, 12, 0.1f), hDc0 = Random(hidden, 13, 0.1f);
        const double Tolerance = 2e-6;
        for (int j = 0; j < hidden; j++)
        {
            int H = hidden;
            // GRU: gi, gh hold [r, z, n] in their first 3H
            double r = Sigmoid(gi[j] + gh[j]), z = Sigmoid(gi[H + j] + gh[H + j]), n = Math.Tanh(gi[2 * H + j] + r * gh[2 * H + j]);
            Assert.That(o[0][j], Is.EqualTo((1 - z) * n + z * s[j]).Within(Tolerance), "gru h'");
            double dn = g[j] * (1 - z) * (1 - n * n), dz = g[j] * (s[j] - n) * z * (1 - z), dr = dn * gh[2 * H + j] * r * (1 - r);
            Assert.That(o[2][j], Is.EqualTo(gruDgi0[j] + dr).Within(Tolerance), "gru dgi_r");
            Assert.That(o[2][H + j], Is.EqualTo(gruDgi0[H + j] + dz).Within(Tolerance), "gru dgi_z");
            Assert.That(o[3][2 * H + j], Is.EqualTo(gruDgh0[2 * H + j] + dn * r).Within(Tolerance), "gru dgh_n");
            Assert.That(o[4][j], Is.EqualTo(gruDh0[j] + g[j] * z).Within(Tolerance), "gru dh");
            // LSTM: gates = gh + gi in [i, f, g, o]
            double ig = Sigmoid(gi[j] + gh[j]), fg = Sigmoid(gi[H + j] + gh[H + j]), cg = Math.Tanh(gi[2 * H + j] + gh[2 * H + j]);
            double og = Sigmoid(gi[3 * H + j] + gh[3 * H + j]);
            double c1 = fg * s[j] + ig * cg;
            Assert.That(o[5][j], Is.EqualTo(c1).Within(Tolerance), "lstm c'");
            Assert.That(o[7][j], Is.EqualTo(cDgi0[j] + g[j] * cg * ig * (1 - ig)).Within(Tolerance), "lstm di");
            Assert.That(o[7][H + j], Is.EqualTo(cDgi0[H + j] + g[j] * s[j] * fg * (1 - fg)).Within(Tolerance), "lstm df");
            Assert.That(o[7][2 * H + j], Is.EqualTo(cDgi0[2 * H + j] + g[j] * ig * (1 - cg * cg)).Within(Tolerance), "lstm dg");
            Assert.That(o[7][3 * H + j], Is.EqualTo(cDgi0[3 * H + j]), "lstm: the state op leaves o's block alone");
            Assert.That(o[9][j], Is.EqualTo(cDc0[j] + g[j] * fg).Within(Tolerance), "lstm dc");
            double tc = Math.Tanh(o[5][j]);
            Assert.That(o[10][j], Is.EqualTo(og * tc).Within(Tolerance), "lstm h'");
            Assert.That(o[13][3 * H + j], Is.EqualTo(hDgh0[3 * H + j] + g[j] * tc * og * (1 - og)).Within(Tolerance), "lstm do");
            Assert.That(o[13][j], Is.EqualTo(hDgh0[j]), "lstm: the output op leaves i's block alone");
            Assert.That(o[14][j], Is.EqualTo(hDc0[j] + g[j] * og * (1 - tc * tc)).Within(Tolerance), "lstm dc'");
        }
    }
}
