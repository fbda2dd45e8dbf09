using System.Runtime.InteropServices;
using ArenaGrad.Kernels;
using ArenaGrad.Kernels.Convolution;
using ArenaGrad.Kernels.Gemm;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

// Convolution and pooling (issue 18); see ForwardRules_Convolution.cs for the operands.
internal static partial class BackwardRules
{
    /// <summary>Per image n and group: dW += g[n] @ unfold(x[n])ᵀ (the saved columns), dx[n] += fold(Wᵀ @ g[n]) (through
    /// the saved workspace), db += Σ over images and positions of g.</summary>
    public static void Convolution(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        int x = ins.Input0, w = ins.Input1, bias = ins.Input2;
        ForwardRules.ConvolutionGeometry(arena, x, w, arena.OperandsOf(ins), out ConvGeometry geometry, out int groups);
        int batch = arena.ShapeOf(x)[0], outChannels = arena.ShapeOf(w)[0];
        int rows = geometry.Rows, positions = geometry.Positions, groupRows = rows / groups, groupOut = outChannels / groups;
        bool pointwise = ForwardRules.IsPointwise(in geometry);
        // W takes a gradient only if it required one when the op ran (the columns were saved then), as in PyTorch
        bool needX = arena.RequiresGrad(x), needW = arena.RequiresGrad(w) && (pointwise || ins.Int0 == 1);
        Span<float> dx = default, dw = default;
        bool fresh;
        if (needX)
        {
            dx = arena.GradientForWrite(x, out fresh);
            if (fresh) dx.Clear(); // fold adds
        }
        if (needW)
        {
            dw = arena.GradientForWrite(w, out fresh);
            if (fresh) dw.Clear();
        }
        ReadOnlySpan<float> wv = arena.Values(w);
        Span<float> saved = ins.Saved >= 0 ? arena.Values(ins.Saved) : default;
        if (ForwardRules.IsBatchProduct(in geometry, groups, outChannels))
        {
            BatchConvolution(arena, g, wv, dx, dw, saved, ins.Int0 == 1, batch, outChannels, in geometry);
            ConvolutionBias(arena, bias, g, batch, outChannels, positions);
            return;
        }
        ReadOnlySpan<float> xv = arena.Values(x);
        Span<float> workspace = pointwise ? default : saved.Slice(ins.Int0 == 1 ? batch * rows * positions : 0, rows * positions);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> gn = g.Slice(n * outChannels * positions, outChannels * positions);
            if (needW)
            {
                ReadOnlySpan<float> cols = pointwise ? xv.Slice(n * geometry.InputLength, geometry.InputLength) : saved.Slice(n * rows * positions, rows * positions);
                for (int group = 0; group < groups; group++)
                    MatrixMultiply.Gemm(gn.Slice(group * groupOut * positions, groupOut * positions),
                        cols.Slice(group * groupRows * positions, groupRows * positions),
                        dw.Slice(group * groupOut * groupRows, groupOut * groupRows),
                        groupOut, positions, groupRows, transposeA: false, transposeB: true, accumulate: true, arena.GemmTeam);
            }
            if (needX)
            {
                Span<float> image = dx.Slice(n * geometry.InputLength, geometry.InputLength);
                Span<float> target = pointwise ? image : workspace;
                for (int group = 0; group < groups; group++)
                    MatrixMultiply.Gemm(wv.Slice(group * groupOut * groupRows, groupOut * groupRows),
                        gn.Slice(group * groupOut * positions, groupOut * positions),
                        target.Slice(group * groupRows * positions, groupRows * positions),
                        groupRows, groupOut, positions, transposeA: true, transposeB: false, accumulate: pointwise, arena.GemmTeam);
                if (!pointwise) Im2Col.FoldAdd(workspace, image, in geometry);
            }
        }
        ConvolutionBias(arena, bias, g, batch, outChannels, positions);
    }

    /// <summary>db += Σ over images and positions of g.</summary>
    private static void ConvolutionBias(Arena arena, int bias, ReadOnlySpan<float> g, int batch, int outChannels, int positions)
    {
        if (bias >= 0 && arena.RequiresGrad(bias))
        {
            Span<float> db = arena.GradientForAccumulation(bias);
            for (int o = 0; o < outChannels; o++)
            {
                float sum = 0f;
                for (int n = 0; n < batch; n++)
                    foreach (float v in g.Slice((n * outChannels + o) * positions, positions)) sum += v;
                db[o] += sum;
            }
        }
    }

    /// <summary>The batch as one product each (<see cref="ForwardRules.IsBatchProduct"/>), with g as gᵀ [O, N·L] (a copy
    /// in scratch unless N is 1): dW += gᵀ @ Uᵀ over the saved columns U [rows, N·L], one sum over N·L per weight; dx[n] +=
    /// fold((Wᵀ @ gᵀ)[:, n·L ..]) through the workspace after the columns when it holds N blocks, else image by image
    /// through its one block. dx has the bits of a product per image.</summary>
    private static unsafe void BatchConvolution(Arena arena, ReadOnlySpan<float> g, ReadOnlySpan<float> wv, Span<float> dx, Span<float> dw,
        Span<float> saved, bool savesColumns, int batch, int outChannels, in ConvGeometry geometry)
    {
        int rows = geometry.Rows, positions = geometry.Positions, width = batch * positions;
        bool needX = !dx.IsEmpty, needW = !dw.IsEmpty;
        if (!needX && !needW) return;
        int columnsLength = savesColumns ? rows * width : 0; // the workspace starts after the columns
        bool wholeBatch = saved.Length - columnsLength >= rows * width; // x's gradient as one product
        FloatStackMark mark = default;
        Span<float> gt = batch == 1 || !(needW || (needX && wholeBatch)) ? default : arena.Scratch((long)outChannels * width, out mark);
        if (!gt.IsEmpty)
            for (int n = 0; n < batch; n++)
                for (int o = 0; o < outChannels; o++)
                    g.Slice((n * outChannels + o) * positions, positions).CopyTo(gt.Slice(o * width + n * positions, positions));
        ReadOnlySpan<float> gBatch = batch == 1 ? g : gt;
        try
        {
            if (needW)
            {
                fixed (float* gp = gBatch, up = saved, dwp = dw)
                    PackedGemm.RunWidest(gp, width, 1, new StridedPanels(up, 1, width), dwp, rows, outChannels, width, rows, accumulate: true,
                        arena.GemmTeam?.RoundOnce ?? true);
            }
            if (!needX) return;
            if (wholeBatch)
            {
                Span<float> workspace = saved.Slice(columnsLength, rows * width);
                MatrixMultiply.Gemm(wv, gBatch, workspace, rows, outChannels, width, transposeA: true, transposeB: false, accumulate: false, arena.GemmTeam);
                for (int n = 0; n < batch; n++)
                    Im2Col.FoldAdd(workspace.Slice(n * positions), dx.Slice(n * geometry.InputLength, geometry.InputLength), in geometry, width);
                return;
            }
            Span<float> block = saved.Slice(columnsLength, rows * positions);
            for (int n = 0; n < batch; n++)
            {
                MatrixMultiply.Gemm(wv, g.Slice(n * outChannels * positions, outChannels * positions), block, rows, outChannels, positions,
                    transposeA: true, transposeB: false, accumulate: false, arena.GemmTeam);
                Im2Col.FoldAdd(block, dx.Slice(n * geometry.InputLength, geometry.InputLength), in geometry);
            }
        }
        finally
        {
            if (!gt.IsEmpty) arena.ReleaseScratch(mark);
        }
    }

    /// <summary>F.unfold is linear: dx += fold(g).</summary>
    public static void Im2ColOp(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ConvGeometry geometry = ForwardRules.WindowGeometry(arena.ShapeOf(ins.Input0), arena.OperandsOf(ins), out int images);
        ForwardRules.FoldAdd(g, arena.GradientForAccumulation(ins.Input0), images, in geometry);
    }

    /// <summary>F.fold is linear: dcols += unfold(g).</summary>
    public static void Col2ImOp(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ConvGeometry geometry = ForwardRules.WindowGeometry(arena.ShapeOf(ins.Output), arena.OperandsOf(ins), out int images);
        Span<float> target = arena.GradientForWrite(ins.Input0, out bool fresh);
        if (fresh)
        {
            ForwardRules.Unfold(g, target, images, in geometry);
            return;
        }
        Span<float> scratch = arena.Scratch(target.Length, out _);
        ForwardRules.Unfold(g, scratch, images, in geometry);
        Elementwise.Accumulate(scratch, target);
    }

    /// <summary>dx[plane, index] += g at the indices the forward saved.</summary>
    public static void MaxPool2d(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Input0);
        int inPlane = shape[^1] * shape[^2], outPlane = arena.ShapeOf(ins.Output)[^1] * arena.ShapeOf(ins.Output)[^2];
        int planes = inPlane == 0 ? 0 : arena.LengthOf(ins.Input0) / inPlane;
        Pooling.MaxBackward(g, arena.IntValues(ins.Saved), arena.GradientForAccumulation(ins.Input0), planes, inPlane, outPlane);
    }

    /// <summary>dx += g / (kH·kW) over each window.</summary>
    public static void AvgPool2d(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ConvGeometry geometry = ForwardRules.PoolGeometry(arena.ShapeOf(ins.Input0), arena.OperandsOf(ins), out int planes);
        Pooling.AverageBackward(g, arena.GradientForAccumulation(ins.Input0), planes, in geometry);
    }

    /// <summary>dx += g / window size over each adaptive window.</summary>
    public static void AdaptiveAvgPool2d(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ReadOnlySpan<int> xShape = arena.ShapeOf(ins.Input0), yShape = arena.ShapeOf(ins.Output);
        int inPlane = xShape[^1] * xShape[^2], planes = inPlane == 0 ? 0 : arena.LengthOf(ins.Input0) / inPlane;
        Pooling.AdaptiveAverageBackward(g, arena.GradientForAccumulation(ins.Input0), planes, xShape[^2], xShape[^1], yShape[^2], yShape[^1]);
    }
}
