namespace ArenaGrad.Tape;

// LayerNorm (issue 18), written with ops: the mean and rstd are computed again from x (the saved buffer has no
// gradient of its own), so the result can be differentiated again.
internal static partial class GraphBackwardRules
{
    // x̂ = (x-mean)·rstd, ĝ = g·w: dx = rstd(ĝ - mean(ĝ) - x̂·mean(ĝx̂)), dw = Σ_rows g·x̂, db = Σ_rows g
    public static void LayerNorm(Arena arena, in Instruction ins, Tensor g)
    {
        int n = ins.Int0, x = ins.Input0, w = ins.Input1, b = ins.Input2;
        bool wantX = Needs(arena, x), wantW = w >= 0 && Needs(arena, w), wantB = b >= 0 && Needs(arena, b);
        if (!wantX && !wantW && !wantB) return;
        // shapes copied first: the slots the rule makes may move the arena's layout column
        Span<int> xShape = ShapeCopy(arena, x, stackalloc int[Memory.TensorLayout.MaxRank]);
        Span<int> normalized = xShape[(xShape.Length - ins.Int1)..];
        int rows = n == 0 ? 0 : arena.LengthOf(x) / n;
        if (rows == 0)
        {
            // nothing to normalize: every gradient is empty or zero
            if (wantX) Give(arena, x, T(arena, x) * 0f);
            if (wantW) Give(arena, w, T(arena, w) * 0f);
            if (wantB) Give(arena, b, T(arena, b) * 0f);
            return;
        }
        Tensor g2 = g.Reshape(rows, n);
        if (wantB) Give(arena, b, g2.Sum(0).Reshape(normalized));
        Tensor x2 = T(arena, x).Reshape(rows, n);
        // centred from the first element as the kernel is (x - x[0] is exact), so a large mean keeps its precision
        Tensor shifted = x2 - x2.Narrow(1, 0, 1);
        Tensor centered = shifted - shifted.Mean(1, keepDim: true);
        Tensor rstd = (centered.Square().Mean(1, keepDim: true) + ins.Scalar0).Rsqrt();
        Tensor xhat = centered * rstd;
        if (wantW) Give(arena, w, (g2 * xhat).Sum(0).Reshape(normalized));
        if (!wantX) return;
        Tensor gw = w >= 0 ? g2 * T(arena, w).Reshape(n) : g2;
        Tensor dx = rstd * (gw - gw.Mean(1, keepDim: true) - xhat * (gw * xhat).Mean(1, keepDim: true));
        Give(arena, x, dx.Reshape(xShape));
    }
}
