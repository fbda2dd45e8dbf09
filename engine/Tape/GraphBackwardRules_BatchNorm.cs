namespace ArenaGrad.Tape;

// Graph backward rule of batch normalization (issue 18): the fused rule's formulas with ordinary ops on x viewed as
// [N, C, S]. With batch statistics the mean and variance are recomputed from x (they depend on it, so second derivatives
// flow through them); with running statistics they are constants, read from the saved [mean; invstd].
internal static partial class GraphBackwardRules
{
    public static void BatchNorm(Arena arena, in Instruction ins, Tensor g)
    {
        bool needX = Needs(arena, ins.Input0), needWeight = Needs(arena, ins.Input1), needBias = Needs(arena, ins.Input2);
        if (!needX && !needWeight && !needBias) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        ForwardRules.BatchNormGeometry(shape, out int n, out int c, out int s);
        float m = (float)n * s;
        Tensor x = T(arena, ins.Input0).Reshape(n, c, s), gr = g.Reshape(n, c, s);
        Tensor mean, invstd;
        if (ins.Int0 != 0)
        {
            mean = x.Sum(2, keepDim: true).Sum(0, keepDim: true) / m;
            Tensor centered = x - mean;
            invstd = ((centered * centered).Sum(2, keepDim: true).Sum(0, keepDim: true) / m + ins.Scalar0).Rsqrt();
        }
        else
        {
            Tensor saved = T(arena, ins.Saved);
            mean = saved.Select(0, 0).Reshape(1, c, 1);
            invstd = saved.Select(0, 1).Reshape(1, c, 1);
        }
        Tensor xHat = (x - mean) * invstd;
        Tensor sumG = gr.Sum(2, keepDim: true).Sum(0, keepDim: true);
        Tensor sumGXHat = (gr * xHat).Sum(2, keepDim: true).Sum(0, keepDim: true);
        if (needBias) Give(arena, ins.Input2, sumG.Reshape(c));
        if (needWeight) Give(arena, ins.Input1, sumGXHat.Reshape(c));
        if (!needX) return;
        Tensor scale = ins.Input1 >= 0 ? T(arena, ins.Input1).Reshape(1, c, 1) * invstd : invstd;
        Tensor dx = ins.Int0 != 0 ? (gr - sumG / m - xHat * (sumGXHat / m)) * scale : gr * scale;
        Give(arena, ins.Input0, dx.Reshape(shape));
    }
}
