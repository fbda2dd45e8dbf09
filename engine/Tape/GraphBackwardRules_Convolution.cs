using ArenaGrad.Kernels.Convolution;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

// Graph backward rules of convolution and pooling (see GraphBackwardRules.cs). The convolution's derivative is written
// with unfold and fold, which are each other's adjoints: dx = fold(Wᵀ·g), dW = Σₙ g·unfold(x)ᵀ, db = Σ g.
internal static partial class GraphBackwardRules
{
    public static void Convolution(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor x = T(arena, ins.Input0), w = T(arena, ins.Input1);
        ReadOnlySpan<int> o = arena.OperandsOf(ins);
        int sh = o[0], sw = o[1], ph = o[2], pw = o[3], dh = o[4], dw = o[5], groups = o[6];
        bool oneD = x.Rank == 3;
        // a 1-d convolution as the H = 1 case: views, so the gradients flow back to the original shapes
        Tensor x4 = oneD ? x.Unsqueeze(2) : x, w4 = oneD ? w.Unsqueeze(2) : w, g4 = oneD ? g.Unsqueeze(2) : g;
        int batch = x4.Shape[0], channels = x4.Shape[1], height = x4.Shape[2], width = x4.Shape[3];
        int outChannels = w4.Shape[0], kh = w4.Shape[2], kw = w4.Shape[3];
        int positions = g4.Shape[2] * g4.Shape[3], groupOut = outChannels / groups, groupRows = channels / groups * kh * kw;
        Tensor grouped = g4.Reshape(batch, groups, groupOut, positions);
        if (Needs(arena, ins.Input0))
        {
            Tensor cols = w4.Reshape(groups, groupOut, groupRows).Transpose(1, 2).MatMul(grouped); // [N, G, rows/G, L]
            Tensor dx = Functional.Col2ImCore(cols.Reshape(batch, groups * groupRows, positions), height, width, kh, kw, sh, sw, ph, pw, dh, dw);
            Give(arena, ins.Input0, oneD ? dx.Squeeze(2) : dx);
        }
        if (Needs(arena, ins.Input1))
        {
            Tensor cols = Functional.Im2ColCore(x4, kh, kw, sh, sw, ph, pw, dh, dw).Reshape(batch, groups, groupRows, positions);
            Tensor dw4 = grouped.MatMul(cols.Transpose(2, 3)).Sum(0).Reshape(ShapeCopy(arena, w4.Slot, stackalloc int[TensorLayout.MaxRank]));
            Give(arena, ins.Input1, oneD ? dw4.Squeeze(2) : dw4);
        }
        if (Needs(arena, ins.Input2)) Give(arena, ins.Input2, g4.Reshape(batch, outChannels, positions).Sum(2).Sum(0));
    }

    // F.unfold and F.fold are linear and each other's adjoints
    public static void Im2ColOp(Arena arena, in Instruction ins, Tensor g)
    {
        ReadOnlySpan<int> o = arena.OperandsOf(ins);
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Input0);
        int height = shape[^2], width = shape[^1];
        if (Needs(arena, ins.Input0))
            Give(arena, ins.Input0, Functional.Col2ImCore(g, height, width, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]));
    }

    public static void Col2ImOp(Arena arena, in Instruction ins, Tensor g)
    {
        ReadOnlySpan<int> o = arena.OperandsOf(ins);
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, Functional.Im2ColCore(g, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]));
    }

    // dx = scatter_add of g at the saved indices, per plane
    public static void MaxPool2d(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0), indices = T(arena, ins.Saved);
        int inPlane = x.Shape[^1] * x.Shape[^2], outPlane = g.Shape[^1] * g.Shape[^2];
        int planes = inPlane == 0 ? 0 : x.Count / inPlane;
        Span<int> planeShape = stackalloc int[2];
        planeShape[0] = planes;
        planeShape[1] = inPlane;
        Tensor dx = arena.Zeros(planeShape).ScatterAdd(1, indices.Reshape(planes, outPlane), g.Reshape(planes, outPlane));
        Give(arena, ins.Input0, dx.Reshape(ShapeCopy(arena, x.Slot, stackalloc int[TensorLayout.MaxRank])));
    }

    // dx = fold of g / (kH·kW) copied to every window position (count_include_pad, floor mode)
    public static void AvgPool2d(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0);
        ReadOnlySpan<int> o = arena.OperandsOf(ins);
        int kh = o[0], kw = o[1];
        int height = x.Shape[^2], width = x.Shape[^1], positions = g.Shape[^1] * g.Shape[^2];
        int planes = height * width == 0 ? 0 : x.Count / (height * width);
        Tensor spread = (g.Reshape(planes, 1, positions) * (1f / (kh * kw))).Expand(planes, kh * kw, positions);
        Tensor dx = Functional.Col2ImCore(spread, height, width, kh, kw, o[2], o[3], o[4], o[5], 1, 1);
        Give(arena, ins.Input0, dx.Reshape(ShapeCopy(arena, x.Slot, stackalloc int[TensorLayout.MaxRank])));
    }

    // the adaptive average is separable: y = Pₕ·x·Pᵥᵀ per plane, so dx = Pₕᵀ·g·Pᵥ
    public static void AdaptiveAvgPool2d(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0);
        int height = x.Shape[^2], width = x.Shape[^1], outH = g.Shape[^2], outW = g.Shape[^1];
        Tensor rows = AveragingMatrix(arena, outH, height), columns = AveragingMatrix(arena, outW, width);
        Give(arena, ins.Input0, rows.Transpose(0, 1).MatMul(g).MatMul(columns));
    }

    /// <summary>P [out, size] with P[i, j] = 1/|window i| for j in adaptive window i.</summary>
    private static Tensor AveragingMatrix(Arena arena, int outSize, int size)
    {
        Span<int> shape = stackalloc int[2];
        shape[0] = outSize;
        shape[1] = size;
        Tensor p = arena.Zeros(shape);
        Span<float> values = arena.Values(p.Slot);
        for (int i = 0; i < outSize; i++)
        {
            Pooling.AdaptiveWindow(i, size, outSize, out int start, out int end);
            for (int j = start; j < end; j++) values[i * size + j] = 1f / (end - start);
        }
        return p;
    }
}
