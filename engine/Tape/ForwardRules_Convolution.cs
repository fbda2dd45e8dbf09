using System.Runtime.InteropServices;
using ArenaGrad.Kernels;
using ArenaGrad.Kernels.Convolution;
using ArenaGrad.Kernels.Gemm;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

// Convolution and pooling (issue 18). Window attributes live in the operand buffer as integers (ConvOperands): the
// kernel size where the weight does not give it, then stride, padding and dilation, each as (h, w). A 1-d convolution
// ([N, C, L] input, [O, C/G, k] weight) is the H = 1 case of the 2-d one.
internal static partial class ForwardRules
{
    /// <summary>Convolution: Input0 x [N, C, H, W] or [N, C, L], Input1 the weight [O, C/G, kH, kW] or [O, C/G, k], Input2
    /// the bias [O] or -1; operands (sH, sW, pH, pW, dH, dW, groups); Saved the unfolded images [N + 1, C·kH·kW, OH·OW]
    /// when Int0 is 1 (the last block is backward's workspace), only the workspace [1, ...] when Int0 is 0, -1 when
    /// nothing was recorded (the forward then unfolds into scratch). A product over the batch (<see cref="IsBatchProduct"/>)
    /// lays the columns out as [rows, N·L] instead, and its workspace has N blocks when x takes a gradient.</summary>
    public static void Convolution(Arena arena, in Instruction ins)
    {
        ConvolutionGeometry(arena, ins.Input0, ins.Input1, arena.OperandsOf(ins), out ConvGeometry g, out int groups);
        ConvolutionForward(arena, ins.Input0, ins.Input1, ins.Input2, ins.Output, ins.Saved, ins.Int0 == 1, in g, groups);
    }

    /// <summary>The geometry of a convolution from its input and weight shapes and its operands.</summary>
    internal static void ConvolutionGeometry(Arena arena, int x, int w, ReadOnlySpan<int> operands, out ConvGeometry g, out int groups)
    {
        ReadOnlySpan<int> xShape = arena.ShapeOf(x), wShape = arena.ShapeOf(w);
        bool twoD = xShape.Length == 4;
        groups = operands[6];
        g = new ConvGeometry(xShape[1], twoD ? xShape[2] : 1, xShape[^1], twoD ? wShape[2] : 1, wShape[^1],
            operands[0], operands[1], operands[2], operands[3], operands[4], operands[5]);
    }

    /// <summary>Whether the convolution is a plain matrix product per image (1×1 kernel, stride 1, no padding): the
    /// image itself is its unfolded matrix.</summary>
    internal static bool IsPointwise(in ConvGeometry g) =>
        g.KernelH == 1 && g.KernelW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    /// <summary>Whether the convolution runs as one packed GEMM over the whole batch (its panels packed straight from the
    /// images by <see cref="ConvColumns"/>, or from the saved columns when W takes a gradient): ungrouped, not pointwise,
    /// and big enough per image for the packed GEMM.
    /// Then the saved columns are [rows, N·L] (not [N, rows, L]) followed by x's gradient's workspace: another N blocks
    /// when x took a gradient too, one otherwise. Shapes alone decide, so every instruction set takes the same path.</summary>
    internal static bool IsBatchProduct(in ConvGeometry g, int groups, int outChannels) =>
        groups == 1 && !IsPointwise(in g) && MatrixMultiply.UsesPackedGemm(outChannels, g.Rows, g.Positions);

    /// <summary>y[n, group] = W[group] @ unfold(x[n])[group] (+ bias per output channel): one packed GEMM over the batch
    /// (<see cref="IsBatchProduct"/>), else one per image and group.</summary>
    internal static void ConvolutionForward(Arena arena, int x, int w, int bias, int y, int saved, bool savesColumns, in ConvGeometry g, int groups)
    {
        ReadOnlySpan<float> xv = arena.Values(x), wv = arena.Values(w);
        Span<float> yv = arena.Values(y);
        int batch = arena.ShapeOf(x)[0], outChannels = arena.ShapeOf(w)[0];
        if (IsBatchProduct(in g, groups, outChannels))
        {
            Span<float> columns = savesColumns ? arena.Values(saved).Slice(0, g.Rows * batch * g.Positions) : default;
            BatchConvolutionForward(arena, xv, wv, bias, yv, columns, batch, outChannels, in g);
            return;
        }
        int rows = g.Rows, positions = g.Positions, groupRows = rows / groups, groupOut = outChannels / groups;
        bool pointwise = IsPointwise(in g);
        Span<float> workspace = default;
        FloatStackMark mark = default;
        bool scratch = false;
        if (!pointwise)
        {
            if (saved >= 0) workspace = arena.Values(saved).Slice(savesColumns ? batch * rows * positions : 0, rows * positions);
            else
            {
                workspace = arena.Scratch((long)rows * positions, out mark);
                scratch = true;
            }
        }
        try
        {
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> image = xv.Slice(n * g.InputLength, g.InputLength);
                ReadOnlySpan<float> cols;
                if (pointwise) cols = image;
                else
                {
                    Span<float> target = savesColumns ? arena.Values(saved).Slice(n * rows * positions, rows * positions) : workspace;
                    Im2Col.Unfold(image, target, in g);
                    cols = target;
                }
                Span<float> output = yv.Slice(n * outChannels * positions, outChannels * positions);
                for (int group = 0; group < groups; group++)
                    MatrixMultiply.Gemm(wv.Slice(group * groupOut * groupRows, groupOut * groupRows),
                        cols.Slice(group * groupRows * positions, groupRows * positions),
                        output.Slice(group * groupOut * positions, groupOut * positions),
                        groupOut, groupRows, positions, transposeA: false, transposeB: false, accumulate: false, arena.GemmTeam);
                if (bias >= 0)
                {
                    ReadOnlySpan<float> b = arena.Values(bias);
                    for (int o = 0; o < outChannels; o++)
                        Elementwise.AccumulateConstant(b[o], output.Slice(o * positions, positions));
                }
            }
        }
        finally
        {
            if (scratch) arena.ReleaseScratch(mark);
        }
    }

    /// <summary>y = W @ unfold(x) over the whole batch as one packed GEMM into [O, N·L] (y itself for one image, else
    /// scratch), then each image's block moved to y [N, O, L] with the bias added: the same bits as a GEMM per image.
    /// When W takes a gradient the batch is unfolded into <paramref name="columns"/> [rows, N·L] (the saved columns, which
    /// the weight gradient reads back), else packed straight from x (<see cref="ConvColumns"/>); both pack the same
    /// panels.</summary>
    /// <remarks>Packing from x gathers every element; unfolding line by line and packing contiguous rows is cheaper, so
    /// the columns are made once when they are needed twice.</remarks>
    private static unsafe void BatchConvolutionForward(Arena arena, ReadOnlySpan<float> xv, ReadOnlySpan<float> wv, int bias, Span<float> yv,
        Span<float> columns, int batch, int outChannels, in ConvGeometry g)
    {
        int rows = g.Rows, positions = g.Positions, width = batch * positions;
        bool roundOnce = arena.GemmTeam?.RoundOnce ?? true;
        FloatStackMark mark = default;
        Span<float> product = batch == 1 ? yv : arena.Scratch((long)outChannels * width, out mark);
        try
        {
            if (!columns.IsEmpty)
                for (int n = 0; n < batch; n++)
                    Im2Col.Unfold(xv.Slice(n * g.InputLength, g.InputLength), columns.Slice(n * positions), in g, width);
            fixed (float* xp = xv, wp = wv, cp = product, up = columns)
            {
                if (columns.IsEmpty)
                    PackedGemm.RunWidest(wp, rows, 1, new ConvColumnPanels(ConvColumns.For(xp, in g, batch)), cp, width, outChannels, rows, width,
                        accumulate: false, roundOnce);
                else
                    PackedGemm.RunWidest(wp, rows, 1, new StridedPanels(up, width, 1), cp, width, outChannels, rows, width, accumulate: false, roundOnce);
            }
            ReadOnlySpan<float> b = bias >= 0 ? arena.Values(bias) : default;
            for (int n = 0; n < batch; n++)
                for (int o = 0; o < outChannels; o++)
                {
                    Span<float> target = yv.Slice((n * outChannels + o) * positions, positions);
                    if (batch != 1) product.Slice(o * width + n * positions, positions).CopyTo(target);
                    if (bias >= 0) Elementwise.AccumulateConstant(b[o], target);
                }
        }
        finally
        {
            if (batch != 1) arena.ReleaseScratch(mark);
        }
    }

    /// <summary>F.unfold: Input0 [N, C, H, W] (or [C, H, W]) to [N, C·kH·kW, L]; operands (kH, kW, sH, sW, pH, pW, dH, dW).</summary>
    public static void Im2ColOp(Arena arena, in Instruction ins)
    {
        ConvGeometry g = WindowGeometry(arena.ShapeOf(ins.Input0), arena.OperandsOf(ins), out int images);
        Unfold(arena.Values(ins.Input0), arena.Values(ins.Output), images, in g);
    }

    /// <summary>F.fold: Input0 [N, C·kH·kW, L] (or unbatched) to the output's [N, C, H, W]; operands as <see cref="Im2ColOp"/>.</summary>
    public static void Col2ImOp(Arena arena, in Instruction ins)
    {
        ConvGeometry g = WindowGeometry(arena.ShapeOf(ins.Output), arena.OperandsOf(ins), out int images);
        Span<float> y = arena.Values(ins.Output);
        y.Clear();
        FoldAdd(arena.Values(ins.Input0), y, images, in g);
    }

    internal static void Unfold(ReadOnlySpan<float> x, Span<float> cols, int images, in ConvGeometry g)
    {
        int perImage = g.Rows * g.Positions;
        for (int n = 0; n < images; n++)
            Im2Col.Unfold(x.Slice(n * g.InputLength, g.InputLength), cols.Slice(n * perImage, perImage), in g);
    }

    internal static void FoldAdd(ReadOnlySpan<float> cols, Span<float> x, int images, in ConvGeometry g)
    {
        int perImage = g.Rows * g.Positions;
        for (int n = 0; n < images; n++)
            Im2Col.FoldAdd(cols.Slice(n * perImage, perImage), x.Slice(n * g.InputLength, g.InputLength), in g);
    }

    /// <summary>The geometry of a window op over an image shape [N, C, H, W] or [C, H, W] (<paramref name="images"/>
    /// gets N, or 1) from operands (kH, kW, sH, sW, pH, pW, dH, dW).</summary>
    internal static ConvGeometry WindowGeometry(ReadOnlySpan<int> imageShape, ReadOnlySpan<int> o, out int images)
    {
        images = imageShape.Length == 4 ? imageShape[0] : 1;
        return new ConvGeometry(imageShape[^3], imageShape[^2], imageShape[^1], o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]);
    }

    /// <summary>The geometry of a pool over planes of x's last two dims (operands (kH, kW, sH, sW, pH, pW)); planes gets
    /// the product of the leading dims.</summary>
    internal static ConvGeometry PoolGeometry(ReadOnlySpan<int> xShape, ReadOnlySpan<int> o, out int planes)
    {
        planes = 1;
        for (int d = 0; d < xShape.Length - 2; d++) planes *= xShape[d];
        return new ConvGeometry(1, xShape[^2], xShape[^1], o[0], o[1], o[2], o[3], o[4], o[5], 1, 1);
    }

    /// <summary>Max pool: y, and the flat index of each output's element in Saved (Int32), or in scratch when not recorded.</summary>
    public static void MaxPool2d(Arena arena, in Instruction ins) => MaxPool2d(arena, ins.Input0, ins.Output, ins.Saved, arena.OperandsOf(ins));

    internal static void MaxPool2d(Arena arena, int x, int y, int indices, ReadOnlySpan<int> operands)
    {
        ConvGeometry g = PoolGeometry(arena.ShapeOf(x), operands, out int planes);
        if (indices >= 0)
        {
            Pooling.MaxForward(arena.Values(x), arena.Values(y), arena.IntValues(indices), planes, in g);
            return;
        }
        Span<float> scratch = arena.Scratch(arena.LengthOf(y), out FloatStackMark mark);
        try { Pooling.MaxForward(arena.Values(x), arena.Values(y), MemoryMarshal.Cast<float, int>(scratch), planes, in g); }
        finally { arena.ReleaseScratch(mark); }
    }

    /// <summary>Average pool (count_include_pad, floor mode); operands (kH, kW, sH, sW, pH, pW).</summary>
    public static void AvgPool2d(Arena arena, in Instruction ins)
    {
        ConvGeometry g = PoolGeometry(arena.ShapeOf(ins.Input0), arena.OperandsOf(ins), out int planes);
        Pooling.AverageForward(arena.Values(ins.Input0), arena.Values(ins.Output), planes, in g);
    }

    /// <summary>Adaptive average pool to the output's last two dims.</summary>
    public static void AdaptiveAvgPool2d(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> xShape = arena.ShapeOf(ins.Input0), yShape = arena.ShapeOf(ins.Output);
        int planes = 1;
        for (int d = 0; d < xShape.Length - 2; d++) planes *= xShape[d];
        Pooling.AdaptiveAverageForward(arena.Values(ins.Input0), arena.Values(ins.Output), planes, xShape[^2], xShape[^1], yShape[^2], yShape[^1]);
    }
}
