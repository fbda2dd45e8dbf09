using ArenaGrad.Kernels.Convolution;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Convolution and pooling (issue 18, NCHW / NCL, PyTorch's weight layouts). Forward and backward: OpCode.Convolution,
// Im2ColOp, Col2ImOp, MaxPool2d, AvgPool2d and AdaptiveAvgPool2d in Tape/OpTable.cs; kernels in Kernels/Convolution.
public static partial class Functional
{
    /// <summary><c>F.conv2d</c>: y[n, o] = b[o] + Σ W[o, c, i, j]·x[n, g·C/G + c, oh·sH − pH + i·dH, ow·sW − pW + j·dW] for
    /// x [N, C, H, W] (or unbatched [C, H, W]), weight [O, C/G, kH, kW], bias [O]; y [N, O, OH, OW] with
    /// OH = (H + 2pH − dH(kH − 1) − 1) / sH + 1. Runs as one packed GEMM per image and group over the unfolded input.
    /// grad_fn ConvolutionBackward0 (SqueezeBackward1 for an unbatched input, as PyTorch).</summary>
    /// <exception cref="ArgumentException">A wrong rank, channel count, group count, bias or a kernel larger than the padded
    /// input, or a non-positive stride, dilation or groups, or a negative padding (PyTorch's messages).</exception>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, int groups = 1)
    {
        (int sh, int sw) = stride ?? (1, 1);
        (int ph, int pw) = padding ?? (0, 0);
        (int dh, int dw) = dilation ?? (1, 1);
        int rank = input.Rank;
        if (rank is not (3 or 4))
            throw new ArgumentException($"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: {ShapeMath.Format(input.Shape)}", nameof(input));
        Arena arena = input.Arena;
        arena.OwnSlot(weight);
        int wRank = weight.Rank;
        if (wRank != 4 && wRank >= 2)
            throw new ArgumentException($"expected stride to be a single integer value or a list of {wRank - 2} values to match the convolution dimensions, " +
                $"but got stride=[{sh}, {sw}]", nameof(weight));
        if (rank == 4) return Convolution(input, weight, bias, sh, sw, ph, pw, dh, dw, groups, 2);
        using OpTransaction op = arena.BeginOp(); // the unsqueezed view, the convolution and the squeezed view, or none
        Tensor y = Convolution(input.Unsqueeze(0), weight, bias, sh, sw, ph, pw, dh, dw, groups, 2).Squeeze(0);
        return op.Commit(y.Slot);
    }

    /// <summary><c>F.conv2d</c> with one stride, padding and dilation for both dims.</summary>
    /// <inheritdoc cref="Conv2d(Tensor, Tensor, Tensor?, ValueTuple{int, int}?, ValueTuple{int, int}?, ValueTuple{int, int}?, int)"/>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int stride, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary><c>F.conv1d</c>: the 1-d convolution of x [N, C, L] (or unbatched [C, L]) with weight [O, C/G, k] and bias [O]:
    /// y [N, O, (L + 2p − d(k − 1) − 1) / s + 1]. grad_fn ConvolutionBackward0 (SqueezeBackward1 unbatched).</summary>
    /// <exception cref="ArgumentException">As <see cref="Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/>, with conv1d's messages.</exception>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        int rank = input.Rank;
        if (rank is not (2 or 3))
            throw new ArgumentException($"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: {ShapeMath.Format(input.Shape)}", nameof(input));
        Arena arena = input.Arena;
        arena.OwnSlot(weight);
        if (rank == 3) return Convolution(input, weight, bias, 1, stride, 0, padding, 1, dilation, groups, 1);
        using OpTransaction op = arena.BeginOp();
        Tensor y = Convolution(input.Unsqueeze(0), weight, bias, 1, stride, 0, padding, 1, dilation, groups, 1).Squeeze(0);
        return op.Commit(y.Slot);
    }

    /// <summary>The convolution of a batched input ([N, C, H, W] for 2 spatial dims, [N, C, L] for 1), after PyTorch's
    /// checks in its order (check_shape_forward).</summary>
    private static Tensor Convolution(Tensor input, Tensor weight, Tensor? bias, int sh, int sw, int ph, int pw, int dh, int dw, int groups, int spatial)
    {
        Arena arena = input.Arena;
        int xs = input.Slot, ws = arena.OwnSlot(weight), bs = bias is Tensor b ? arena.OwnSlot(b) : -1;
        arena.RequireFloat(xs);
        arena.RequireFloat(ws);
        if (bs >= 0) arena.RequireFloat(bs);
        if (groups <= 0) throw new ArgumentException("non-positive groups is not supported", nameof(groups));
        if (ph < 0 || pw < 0) throw new ArgumentException("negative padding is not supported");
        if (sh <= 0 || sw <= 0) throw new ArgumentException("non-positive stride is not supported");
        if (dh <= 0 || dw <= 0) throw new ArgumentException("non-positive dilation is not supported");
        ReadOnlySpan<int> xShape = arena.ShapeOf(xs), wShape = arena.ShapeOf(ws);
        if (wShape.Length != xShape.Length)
            throw new ArgumentException($"Expected {wShape.Length}-dimensional input for {wShape.Length}-dimensional weight {ShapeMath.Format(wShape)}, " +
                $"but got {xShape.Length}-dimensional input of size {ShapeMath.Format(xShape)} instead", nameof(input));
        if (wShape[0] < groups)
            throw new ArgumentException($"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got weight of size " +
                $"{ShapeMath.Format(wShape)} instead", nameof(weight));
        if (wShape[0] % groups != 0)
            throw new ArgumentException($"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size " +
                $"[{ShapeMath.Format(wShape)}] instead", nameof(weight));
        if (xShape[1] != (long)wShape[1] * groups)
            throw new ArgumentException($"Given groups={groups}, weight of size {ShapeMath.Format(wShape)}, expected input{ShapeMath.Format(xShape)} to have " +
                $"{(long)wShape[1] * groups} channels, but got {xShape[1]} channels instead", nameof(input));
        if (bs >= 0 && (arena.RankOf(bs) != 1 || arena.LengthOf(bs) != wShape[0]))
            throw new ArgumentException($"Given weight of size {ShapeMath.Format(wShape)}, expected bias to be 1-dimensional with {wShape[0]} elements, " +
                $"but got bias of size {ShapeMath.Format(arena.ShapeOf(bs))} instead", nameof(bias));
        int kh = spatial == 2 ? wShape[2] : 1, kw = wShape[^1], height = spatial == 2 ? xShape[2] : 1, width = xShape[^1];
        long paddedH = height + 2L * ph, paddedW = width + 2L * pw, kernelH = (long)dh * (kh - 1) + 1, kernelW = (long)dw * (kw - 1) + 1;
        if (paddedH < kernelH || paddedW < kernelW)
            throw new ArgumentException(spatial == 2
                ? $"Calculated padded input size per channel: ({paddedH} x {paddedW}). Kernel size: ({kernelH} x {kernelW}). Kernel size can't be greater than actual input size"
                : $"Calculated padded input size per channel: ({paddedW}). Kernel size: ({kernelW}). Kernel size can't be greater than actual input size", nameof(input));
        var geometry = new ConvGeometry(xShape[1], height, width, kh, kw, sh, sw, ph, pw, dh, dw);
        int batch = xShape[0], outChannels = wShape[0];
        Span<int> outShape = stackalloc int[spatial + 2];
        outShape[0] = batch;
        outShape[1] = outChannels;
        if (spatial == 2) outShape[2] = geometry.OutH;
        outShape[^1] = geometry.OutW;
        bool record = arena.ShouldRecord(xs, ws) || (bs >= 0 && arena.ShouldRecord(bs));
        bool pointwise = ForwardRules.IsPointwise(in geometry);
        // the unfolded images when W's gradient needs them, and one image's worth of workspace for x's (none for a 1×1
        // kernel: the image is its own unfolded matrix)
        bool savesColumns = record && !pointwise && arena.RequiresGrad(ws);
        using OpTransaction op = arena.BeginOp(); // the result and its saved columns, then the operands and the tape entry
        int saved = -1, y;
        if (record && !pointwise)
        {
            Span<int> savedShape = stackalloc int[3];
            // the columns then x's gradient's workspace: [rows, N·L] and a block per image for a product over the batch
            // when x takes a gradient (ForwardRules.IsBatchProduct), else one block
            bool batchProducts = ForwardRules.IsBatchProduct(in geometry, groups, outChannels) && arena.RequiresGrad(xs);
            savedShape[0] = savesColumns ? batch + (batchProducts ? batch : 1) : batchProducts ? batch : 1;
            savedShape[1] = geometry.Rows;
            savedShape[2] = geometry.Positions;
            y = arena.NewSlotWithSaved(outShape, savedShape, out saved);
        }
        else y = arena.NewSlot(outShape, record);
        ForwardRules.ConvolutionForward(arena, xs, ws, bs, y, saved, savesColumns, in geometry, groups);
        if (record || arena.IsTracing)
        {
            Span<int> operands = stackalloc int[7];
            operands[0] = sh; operands[1] = sw; operands[2] = ph; operands[3] = pw; operands[4] = dh; operands[5] = dw; operands[6] = groups;
            var instruction = new Instruction(OpCode.Convolution, y, xs, ws, bs)
            {
                Saved = saved, Int0 = savesColumns ? 1 : 0, OperandStart = arena.AddOperands(operands), OperandCount = 7,
            };
            arena.Record(in instruction, record);
        }
        return op.Commit(y);
    }

    /// <summary><c>F.unfold</c>: the sliding windows of x [N, C, H, W] (or unbatched [C, H, W]) as columns, [N, C·kH·kW, L]
    /// with L = OH·OW; row (c·kH + i)·kW + j of column oh·OW + ow holds x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW] (0 in
    /// the padding). grad_fn Im2ColBackward0.</summary>
    /// <exception cref="ArgumentException">A rank other than 3 or 4, a non-positive kernel, stride or dilation, a negative
    /// padding, or no window position (PyTorch's messages).</exception>
    public static Tensor Unfold(Tensor input, (int H, int W) kernelSize, (int H, int W)? dilation = null, (int H, int W)? padding = null, (int H, int W)? stride = null)
    {
        (int dh, int dw) = dilation ?? (1, 1);
        (int ph, int pw) = padding ?? (0, 0);
        (int sh, int sw) = stride ?? (1, 1);
        int rank = input.Rank;
        if (rank < 3) // PyTorch reads dim 2 first
            throw new ArgumentOutOfRangeException(nameof(input), $"Dimension out of range (expected to be in range of [{-Math.Max(rank, 1)}, {Math.Max(rank, 1) - 1}], but got 2)");
        if (rank > 4)
            throw new ArgumentException($"Input Error: Only 3D or 4D input Tensors are supported (got {rank}D)", nameof(input));
        CheckWindow(kernelSize.H, kernelSize.W, sh, sw, ph, pw, dh, dw);
        ReadOnlySpan<int> shape = input.Shape;
        int height = shape[^2], width = shape[^1];
        var geometry = new ConvGeometry(shape[^3], height, width, kernelSize.H, kernelSize.W, sh, sw, ph, pw, dh, dw);
        if (geometry.OutH < 1 || geometry.OutW < 1)
            // PyTorch 1.13 prints the input height twice
            throw new ArgumentException($"Given input with spatial size ({height}, {height}), kernel_size=({kernelSize.H}, {kernelSize.W}), " +
                $"dilation=({dh}, {dw}), padding=({ph}, {pw}), calculated shape of the array of sliding blocks as ({geometry.OutH}, {geometry.OutW}), " +
                "but its components must be at least one.", nameof(input));
        return Im2ColCore(input, kernelSize.H, kernelSize.W, sh, sw, ph, pw, dh, dw);
    }

    /// <summary><c>F.unfold</c> with one kernel size, dilation, padding and stride for both dims.</summary>
    /// <inheritdoc cref="Unfold(Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?, ValueTuple{int, int}?)"/>
    public static Tensor Unfold(Tensor input, int kernelSize, int dilation = 1, int padding = 0, int stride = 1) =>
        Unfold(input, (kernelSize, kernelSize), (dilation, dilation), (padding, padding), (stride, stride));

    /// <summary><c>F.fold</c>: the adjoint of <see cref="Unfold(Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?, ValueTuple{int, int}?)"/>:
    /// sums the columns of x [N, C·kH·kW, L] (or unbatched [C·kH·kW, L]) into an image [N, C, H, W] of
    /// <paramref name="outputSize"/>, each entry into the element it was taken from. grad_fn Col2ImBackward0.</summary>
    /// <exception cref="ArgumentException">A rank other than 2 or 3, a channel dim not divisible by kH·kW, or a column count
    /// other than the number of window positions (PyTorch's messages).</exception>
    public static Tensor Fold(Tensor input, (int H, int W) outputSize, (int H, int W) kernelSize, (int H, int W)? dilation = null,
        (int H, int W)? padding = null, (int H, int W)? stride = null)
    {
        (int dh, int dw) = dilation ?? (1, 1);
        (int ph, int pw) = padding ?? (0, 0);
        (int sh, int sw) = stride ?? (1, 1);
        int rank = input.Rank;
        if (rank is not (2 or 3))
            throw new ArgumentException($"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got {rank}D)", nameof(input));
        CheckWindow(kernelSize.H, kernelSize.W, sh, sw, ph, pw, dh, dw);
        ReadOnlySpan<int> shape = input.Shape;
        int kernelArea = kernelSize.H * kernelSize.W;
        if (shape[^2] % kernelArea != 0)
            throw new ArgumentException($"Expected size of input's dimension {rank - 2} to be divisible by the product of kernel_size, but got " +
                $"input.size({rank - 2})={shape[^2]} and kernel_size=({kernelSize.H}, {kernelSize.W}).", nameof(input));
        var geometry = new ConvGeometry(shape[^2] / kernelArea, outputSize.H, outputSize.W, kernelSize.H, kernelSize.W, sh, sw, ph, pw, dh, dw);
        if (geometry.OutH < 1 || geometry.OutW < 1 || shape[^1] != geometry.Positions)
            throw new ArgumentException($"Given output_size=({outputSize.H}, {outputSize.W}), kernel_size=({kernelSize.H}, {kernelSize.W}), " +
                $"dilation=({dh}, {dw}), padding=({ph}, {pw}), stride=({sh}, {sw}), expected size of input's dimension {rank - 1} to match the " +
                $"calculated number of sliding blocks {geometry.OutH} * {geometry.OutW} = {(long)geometry.OutH * geometry.OutW}, but got " +
                $"input.size({rank - 1})={shape[^1]}.", nameof(input));
        return Col2ImCore(input, outputSize.H, outputSize.W, kernelSize.H, kernelSize.W, sh, sw, ph, pw, dh, dw);
    }

    private static void CheckWindow(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        if (kh <= 0 || kw <= 0)
            throw new ArgumentException($"kernel size should be greater than zero, but got kernel_height: {kh} kernel_width: {kw}");
        if (sh <= 0 || sw <= 0)
            throw new ArgumentException($"stride should be greater than zero, but got stride_height: {sh} stride_width: {sw}");
        if (dh <= 0 || dw <= 0)
            throw new ArgumentException($"dilation should be greater than zero, but got dilation_height: {dh} dilation_width: {dw}");
        if (ph < 0 || pw < 0)
            throw new ArgumentException($"padding should be non-negative, but got pad_height: {ph} pad_width: {pw}");
    }

    /// <summary>F.unfold after its checks (the convolution's graph rule calls it too).</summary>
    internal static Tensor Im2ColCore(Tensor input, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        Arena arena = input.Arena;
        int xs = input.Slot;
        arena.RequireFloat(xs);
        ReadOnlySpan<int> shape = arena.ShapeOf(xs);
        bool batched = shape.Length == 4;
        var geometry = new ConvGeometry(shape[^3], shape[^2], shape[^1], kh, kw, sh, sw, ph, pw, dh, dw);
        Span<int> outShape = stackalloc int[3];
        outShape[0] = batched ? shape[0] : 1;
        outShape[1] = geometry.Rows;
        outShape[2] = geometry.Positions;
        if (!batched) outShape = outShape[1..];
        return WindowOp(arena, OpCode.Im2Col, xs, outShape, kh, kw, sh, sw, ph, pw, dh, dw);
    }

    /// <summary>F.fold after its checks, to [N, C, H, W] (or [C, H, W] from 2-D columns).</summary>
    internal static Tensor Col2ImCore(Tensor input, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        Arena arena = input.Arena;
        int xs = input.Slot;
        arena.RequireFloat(xs);
        ReadOnlySpan<int> shape = arena.ShapeOf(xs);
        bool batched = shape.Length == 3;
        Span<int> outShape = stackalloc int[4];
        outShape[0] = batched ? shape[0] : 1;
        outShape[1] = shape[^2] / (kh * kw);
        outShape[2] = height;
        outShape[3] = width;
        if (!batched) outShape = outShape[1..];
        return WindowOp(arena, OpCode.Col2Im, xs, outShape, kh, kw, sh, sw, ph, pw, dh, dw);
    }

    private static Tensor WindowOp(Arena arena, OpCode code, int xs, ReadOnlySpan<int> outShape, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        bool record = arena.ShouldRecord(xs);
        using OpTransaction op = arena.BeginOp(); // the result, then the operands and the tape entry
        int y = arena.NewSlot(outShape, record);
        Span<int> operands = stackalloc int[8];
        operands[0] = kh; operands[1] = kw; operands[2] = sh; operands[3] = sw; operands[4] = ph; operands[5] = pw; operands[6] = dh; operands[7] = dw;
        // the forward reads its attributes from the operand buffer, so they go there even when nothing is recorded (no-grad
        // unfolds are rare: the scope rewinds the buffer)
        var instruction = new Instruction(code, y, xs) { OperandStart = arena.AddOperands(operands), OperandCount = 8 };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return op.Commit(y);
    }

    /// <summary><c>F.max_pool2d</c> (dilation 1, floor mode): the maximum of each kH×kW window of every plane of x
    /// [N, C, H, W] or [C, H, W], padding counting as −∞; among equal maxima the first in the window wins and a NaN wins
    /// its window, as in PyTorch. The stride defaults to the kernel. grad_fn MaxPool2DWithIndicesBackward0: the gradient
    /// goes to the element each output took.</summary>
    /// <exception cref="ArgumentException">A rank other than 3 or 4, a zero stride, a padding above half the kernel, or
    /// no window position (PyTorch's messages).</exception>
    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null) =>
        Pool(input, OpCode.MaxPool2d, "max_pool2d", kernelSize, stride ?? kernelSize, padding ?? (0, 0));

    /// <summary><c>F.max_pool2d</c> with one kernel size, stride and padding for both dims.</summary>
    /// <inheritdoc cref="MaxPool2d(Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?)"/>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0) =>
        MaxPool2d(input, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding));

    /// <summary><c>F.avg_pool2d</c> with PyTorch's defaults (ceil_mode false, count_include_pad true): the sum of each
    /// window's elements inside the input divided by kH·kW. The stride defaults to the kernel. grad_fn AvgPool2DBackward0.</summary>
    /// <exception cref="ArgumentException">As <see cref="MaxPool2d(Tensor, int, int?, int)"/>.</exception>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null) =>
        Pool(input, OpCode.AvgPool2d, "avg_pool2d", kernelSize, stride ?? kernelSize, padding ?? (0, 0));

    /// <summary><c>F.avg_pool2d</c> with one kernel size, stride and padding for both dims.</summary>
    /// <inheritdoc cref="AvgPool2d(Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?)"/>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0) =>
        AvgPool2d(input, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding));

    private static Tensor Pool(Tensor input, OpCode code, string name, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding)
    {
        Arena arena = input.Arena;
        int xs = input.Slot;
        arena.RequireFloat(xs);
        ReadOnlySpan<int> shape = arena.ShapeOf(xs);
        if (code == OpCode.AvgPool2d && shape.Length < 3) // avg_pool2d reads dim -3 first
            throw new ArgumentOutOfRangeException(nameof(input),
                $"Dimension out of range (expected to be in range of [{-Math.Max(shape.Length, 1)}, {Math.Max(shape.Length, 1) - 1}], but got -3)");
        if (shape.Length is not (3 or 4))
            throw new ArgumentException("non-empty 3D or 4D (batch mode) tensor expected for input", nameof(input));
        // PyTorch's order: the output size's checks (stride, padding), then pool2d_shape_check's (kernel, stride, dims, size)
        int height = shape[^2], width = shape[^1];
        int outH = PoolOutputSize(height, kernel.H, stride.H, padding.H), outW = PoolOutputSize(width, kernel.W, stride.W, padding.W);
        if (kernel.H <= 0 || kernel.W <= 0)
            throw new ArgumentException($"kernel size should be greater than zero, but got kH: {kernel.H} kW: {kernel.W}");
        if (stride.H < 0 || stride.W < 0)
            throw new ArgumentException($"stride should be greater than zero, but got dH: {stride.H} dW: {stride.W}");
        if (shape[^3] == 0 || height == 0 || width == 0)
            throw new ArgumentException($"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:{ShapeMath.Format(shape)}", nameof(input));
        if (outH < 1 || outW < 1)
            throw new ArgumentException($"Given input size: ({shape[^3]}x{height}x{width}). Calculated output size: ({shape[^3]}x{Math.Max(outH, 0)}x{Math.Max(outW, 0)}). " +
                "Output size is too small", nameof(input));
        Span<int> outShape = stackalloc int[shape.Length];
        shape.CopyTo(outShape);
        outShape[^2] = outH;
        outShape[^1] = outW;
        bool record = arena.ShouldRecord(xs);
        using OpTransaction op = arena.BeginOp(); // the result (and the max pool's indices), then the operands and the tape entry
        int y = arena.NewSlot(outShape, record);
        int indices = code == OpCode.MaxPool2d && record ? arena.NewSlot(outShape, DType.Int32) : -1;
        Span<int> operands = stackalloc int[6];
        operands[0] = kernel.H; operands[1] = kernel.W; operands[2] = stride.H; operands[3] = stride.W; operands[4] = padding.H; operands[5] = padding.W;
        if (code == OpCode.MaxPool2d) ForwardRules.MaxPool2d(arena, xs, y, indices, operands);
        else
        {
            ConvGeometry geometry = ForwardRules.PoolGeometry(arena.ShapeOf(xs), operands, out int planes);
            Pooling.AverageForward(arena.Values(xs), arena.Values(y), planes, in geometry);
        }
        if (record || arena.IsTracing)
        {
            var instruction = new Instruction(code, y, xs) { Saved = indices, OperandStart = arena.AddOperands(operands), OperandCount = 6 };
            arena.Record(in instruction, record);
        }
        return op.Commit(y);
    }

    /// <summary>PyTorch's pooling_output_shape (floor mode, dilation 1) with its checks on the stride and padding.</summary>
    private static int PoolOutputSize(int size, int kernel, int stride, int pad)
    {
        if (stride == 0) throw new ArgumentException("stride should not be zero");
        if (pad < 0) throw new ArgumentException($"pad must be non-negative, but got pad: {pad}");
        if (pad > kernel / 2)
            throw new ArgumentException($"pad should be at most half of kernel size, but got pad={pad} and kernel_size={kernel}");
        if (stride < 0) return 0;
        return (int)(ConvGeometry.FloorDivide(size + 2L * pad - (kernel - 1) - 1, stride) + 1);
    }

    /// <summary><c>F.adaptive_avg_pool2d</c>: every plane of x [N, C, H, W] or [C, H, W] averaged into
    /// <paramref name="outputSize"/>, output (i, j) over rows [⌊iH/OH⌋, ⌈(i+1)H/OH⌉) and the same for columns.
    /// grad_fn AdaptiveAvgPool2DBackward0; a 1×1 output is the mean over H and W, as PyTorch computes it (MeanBackward1).</summary>
    /// <exception cref="ArgumentException">A rank other than 3 or 4, an empty non-batch dim, or a negative output size.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int H, int W) outputSize)
    {
        Arena arena = input.Arena;
        int xs = input.Slot;
        arena.RequireFloat(xs);
        ReadOnlySpan<int> shape = arena.ShapeOf(xs);
        if (shape.Length is not (3 or 4))
            throw new ArgumentException($"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {ShapeMath.Format(shape)}", nameof(input));
        for (int d = 1; d < shape.Length; d++)
            if (shape[d] == 0)
                throw new ArgumentException("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes " +
                    $"{ShapeMath.Format(shape)} with dimension {d} being empty", nameof(input));
        if (outputSize.H < 0 || outputSize.W < 0)
            throw new ArgumentException($"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received " +
                $"{{{outputSize.H}, {outputSize.W}}}", nameof(outputSize));
        if (outputSize == (1, 1))
        {
            // PyTorch computes a 1×1 output as the mean over H and W (grad_fn MeanBackward1)
            using OpTransaction mean = arena.BeginOp();
            return mean.Commit(input.Mean(-1, keepDim: true).Mean(-2, keepDim: true));
        }
        Span<int> outShape = stackalloc int[shape.Length];
        shape.CopyTo(outShape);
        outShape[^2] = outputSize.H;
        outShape[^1] = outputSize.W;
        bool record = arena.ShouldRecord(xs);
        using OpTransaction op = arena.BeginOp(); // the result, then the tape entry
        int y = arena.NewSlot(outShape, record);
        var instruction = new Instruction(OpCode.AdaptiveAvgPool2d, y, xs);
        ForwardRules.AdaptiveAvgPool2d(arena, in instruction);
        arena.Record(in instruction, record);
        return op.Commit(y);
    }
}
