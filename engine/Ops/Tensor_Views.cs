using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Views and shape ops of torch.Tensor (issue 16). Every tensor here is contiguous, so the ops PyTorch makes as strided
// views are contiguous copies, except Unsqueeze, Squeeze and Flatten, which only change the shape and share values as
// Reshape does. Each works on Float32, Int32 and Bool (4-byte elements) and keeps the input's dtype.
public readonly partial struct Tensor
{
    /// <summary><c>tensor.narrow(dim, start, length)</c>: elements [start, start + length) along <paramref name="dim"/>, a
    /// copy. A negative <paramref name="start"/> counts from the end; grad_fn SliceBackward0.</summary>
    /// <exception cref="ArgumentException">A 0-dim tensor, or the window does not fit in the dim (PyTorch's messages).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> or <paramref name="start"/> is out of range.</exception>
    public Tensor Narrow(int dim, int start, int length)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        if (shape.Length == 0) throw new ArgumentException("narrow() cannot be applied to a 0-dim tensor.", nameof(dim));
        int d = ShapeMath.NormalizeDim(dim, shape.Length);
        int size = shape[d];
        if (start != size) start = ShapeMath.NormalizeDim(start, size); // start at the end is valid, as in PyTorch
        if (length < 0 || start > size - length)
            throw new ArgumentException($"start ({start}) + length ({length}) exceeds dimension size ({size}).", nameof(length));
        return SliceOf(arena, x, OpCode.Slice, d, start, length, 1);
    }

    /// <summary><c>tensor.select(dim, index)</c>: the slice at <paramref name="index"/> along <paramref name="dim"/>, with
    /// that dim removed (a copy). A negative index counts from the end; grad_fn SelectBackward0.</summary>
    /// <exception cref="ArgumentException">A 0-dim tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> or <paramref name="index"/> is out of range (PyTorch's messages).</exception>
    public Tensor Select(int dim, int index)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        if (shape.Length == 0) throw new ArgumentException("select() cannot be applied to a 0-dim tensor.", nameof(dim));
        int d = ShapeMath.NormalizeDim(dim, shape.Length);
        int size = shape[d];
        if (index < -size || index >= size)
            throw new ArgumentOutOfRangeException(nameof(index), index,
                $"select(): index {index} out of range for tensor of size {ShapeMath.Format(shape)} at dimension {d}");
        if (index < 0) index += size;
        Span<int> outShape = stackalloc int[shape.Length - 1];
        for (int k = 0, j = 0; k < shape.Length; k++)
            if (k != d) outShape[j++] = shape[k];
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(outShape, record) : arena.NewSlot(outShape, arena.DTypeOf(x));
        var instruction = new Instruction(OpCode.Select, y, x) { Int0 = d, Int1 = index };
        ForwardRules.Select(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>tensor[..., start:end:step]</c> along <paramref name="dim"/> (<c>aten::slice</c>), a copy: negative
    /// <paramref name="start"/> and <paramref name="end"/> count from the end and both are clamped to the dim as Python
    /// slices are; <paramref name="step"/> must be positive, as in torch. grad_fn SliceBackward0.</summary>
    /// <exception cref="ArgumentException">A 0-dim tensor, or <paramref name="step"/> ≤ 0 ("slice step must be positive").</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        if (shape.Length == 0) throw new ArgumentException("slice() cannot be applied to a 0-dim tensor.", nameof(dim));
        int d = ShapeMath.NormalizeDim(dim, shape.Length);
        if (step <= 0) throw new ArgumentException("slice step must be positive", nameof(step));
        long size = shape[d], from = start, to = end;
        if (from < 0) from += size;
        if (to < 0) to += size;
        from = Math.Clamp(from, 0, size);
        to = to < from ? from : Math.Min(to, size);
        int length = (int)((to - from + step - 1) / step);
        return SliceOf(arena, x, OpCode.Slice, d, (int)from, length, step);
    }

    /// <summary><c>tensor.permute(dims)</c>: dim i of the result is dim <c>dims[i]</c> of this tensor (a copy; negative dims
    /// count from the end). grad_fn PermuteBackward0.</summary>
    /// <exception cref="ArgumentException">Not one entry per dim, or a dim given twice (PyTorch's messages).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry is out of range.</exception>
    public Tensor Permute(params ReadOnlySpan<int> dims)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        int rank = shape.Length;
        if (dims.Length != rank)
            throw new ArgumentException(
                "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions " +
                $"i.e. input.dim() = {rank} is not equal to len(dims) = {dims.Length}", nameof(dims));
        Span<int> perm = stackalloc int[rank];
        Span<int> outShape = stackalloc int[rank];
        int seen = 0;
        for (int i = 0; i < rank; i++)
        {
            int d = ShapeMath.NormalizeDim(dims[i], rank);
            if ((seen & (1 << d)) != 0) throw new ArgumentException("permute(): duplicate dims are not allowed.", nameof(dims));
            seen |= 1 << d;
            perm[i] = d;
            outShape[i] = shape[d];
        }
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(outShape, record) : arena.NewSlot(outShape, arena.DTypeOf(x));
        var instruction = new Instruction(OpCode.Permute, y, x) { Int0 = ForwardRules.PackPermutation(perm) };
        ForwardRules.Permute(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>tensor.unsqueeze(dim)</c>: a size-1 dim inserted at <paramref name="dim"/> (in [-rank-1, rank]). Shares
    /// this tensor's values, as Reshape does. grad_fn UnsqueezeBackward0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    public Tensor Unsqueeze(int dim)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        int d = ShapeMath.NormalizeDim(dim, shape.Length + 1);
        Span<int> outShape = stackalloc int[shape.Length + 1];
        shape[..d].CopyTo(outShape);
        outShape[d] = 1;
        shape[d..].CopyTo(outShape[(d + 1)..]);
        return ShareAs(arena, x, OpCode.Unsqueeze, outShape, d);
    }

    /// <summary><c>tensor.squeeze()</c>: every size-1 dim removed. Shares this tensor's values; grad_fn SqueezeBackward0.</summary>
    public Tensor Squeeze()
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        int kept = 0;
        foreach (int size in shape) if (size != 1) kept++;
        Span<int> outShape = stackalloc int[kept];
        kept = 0;
        foreach (int size in shape) if (size != 1) outShape[kept++] = size;
        return ShareAs(arena, x, OpCode.SqueezeAll, outShape, 0);
    }

    /// <summary><c>tensor.squeeze(dim)</c>: <paramref name="dim"/> removed if its size is 1, else the same shape. Shares
    /// this tensor's values; grad_fn SqueezeBackward1.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    public Tensor Squeeze(int dim)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        int d = ShapeMath.NormalizeDim(dim, shape.Length);
        bool drop = shape.Length > 0 && shape[d] == 1;
        Span<int> outShape = stackalloc int[drop ? shape.Length - 1 : shape.Length];
        if (drop)
        {
            shape[..d].CopyTo(outShape);
            shape[(d + 1)..].CopyTo(outShape[d..]);
        }
        else shape.CopyTo(outShape);
        return ShareAs(arena, x, OpCode.SqueezeDim, outShape, d);
    }

    /// <summary><c>tensor.expand(sizes)</c>: size-1 dims repeated to <paramref name="shape"/>, which may add leading dims;
    /// -1 keeps a dim's size. A copy (PyTorch's is a stride-0 view); backward sums over the expanded dims.
    /// grad_fn ExpandBackward0.</summary>
    /// <exception cref="ArgumentException">Fewer sizes than dims, a size that does not match a non-singleton dim, or -1 in
    /// a new leading dim (PyTorch's messages).</exception>
    public Tensor Expand(params ReadOnlySpan<int> shape)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> inShape = arena.ShapeOf(x);
        if (shape.Length < inShape.Length)
            throw new ArgumentException(
                $"expand({TorchTensorType(arena.DTypeOf(x))}{{{ShapeMath.Format(inShape)}}}, size={ShapeMath.Format(shape)}): the number of sizes provided ({shape.Length}) " +
                $"must be greater or equal to the number of dimensions in the tensor ({inShape.Length})", nameof(shape));
        if (shape.Length > TensorLayout.MaxRank)
            throw new ArgumentException($"Expected a shape of rank at most {TensorLayout.MaxRank}, but got rank {shape.Length}.", nameof(shape));
        Span<int> outShape = stackalloc int[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--) // right to left, as PyTorch checks (its messages name the first failure so)
        {
            int k = i - (shape.Length - inShape.Length);
            int size = k >= 0 ? inShape[k] : 1;
            int target = shape[i];
            if (target == -1)
            {
                if (k < 0)
                    throw new ArgumentException(
                        $"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}", nameof(shape));
                target = size;
            }
            if (size != target && size != 1)
                throw new ArgumentException(
                    $"The expanded size of the tensor ({target}) must match the existing size ({size}) at non-singleton dimension {i}.  " +
                    $"Target sizes: {ShapeMath.Format(shape)}.  Tensor sizes: {ShapeMath.Format(inShape)}", nameof(shape));
            outShape[i] = target;
        }
        foreach (int size in outShape)
            if (size < 0) throw new ArgumentException("numel: integer multiplication overflow", nameof(shape)); // PyTorch 1.13's wording
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(outShape, record) : arena.NewSlot(outShape, arena.DTypeOf(x));
        var instruction = new Instruction(OpCode.Expand, y, x);
        ForwardRules.Expand(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>tensor.flatten(start_dim, end_dim)</c>: dims <paramref name="startDim"/>..<paramref name="endDim"/> merged
    /// into one. Shares values (it is a Reshape, grad_fn ReshapeAliasBackward0); a 0-dim tensor becomes [1], and when the
    /// two dims are the same this tensor itself is returned, as PyTorch does.</summary>
    /// <exception cref="ArgumentException"><paramref name="startDim"/> comes after <paramref name="endDim"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dim is out of range.</exception>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        int start = ShapeMath.NormalizeDim(startDim, shape.Length), end = ShapeMath.NormalizeDim(endDim, shape.Length);
        if (start > end) throw new ArgumentException("flatten() has invalid args: start_dim cannot come after end_dim", nameof(startDim));
        if (shape.Length == 0) return Reshape(1);
        if (start == end) return this;
        Span<int> outShape = stackalloc int[shape.Length - (end - start)];
        shape[..start].CopyTo(outShape);
        int merged = 1;
        for (int d = start; d <= end; d++) merged *= shape[d];
        outShape[start] = merged;
        shape[(end + 1)..].CopyTo(outShape[(start + 1)..]);
        return Reshape(outShape);
    }

    /// <summary><c>tensor.repeat(repeats)</c>: this tensor tiled <c>repeats[i]</c> times along dim i; more repeats than
    /// dims add leading dims. A copy; backward sums the tiles. grad_fn RepeatBackward0.</summary>
    /// <exception cref="ArgumentException">Fewer repeats than dims, a negative repeat, or a result too large (PyTorch's
    /// messages where it has one).</exception>
    public Tensor Repeat(params ReadOnlySpan<int> repeats)
    {
        Arena arena = Arena;
        int x = _slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        if (repeats.Length < shape.Length)
            throw new ArgumentException("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor", nameof(repeats));
        if (repeats.Length > TensorLayout.MaxRank)
            throw new ArgumentException($"Expected a shape of rank at most {TensorLayout.MaxRank}, but got rank {repeats.Length}.", nameof(repeats));
        Span<int> outShape = stackalloc int[repeats.Length];
        int lead = repeats.Length - shape.Length;
        for (int i = 0; i < repeats.Length; i++)
        {
            long size = (long)(i < lead ? 1 : shape[i - lead]) * repeats[i];
            if (size > int.MaxValue)
                throw new ArgumentException($"Expected every dim below 2^31, but repeat gives size {size} at dim {i}.", nameof(repeats));
            outShape[i] = (int)Math.Max(size, int.MinValue);
        }
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(outShape, record) : arena.NewSlot(outShape, arena.DTypeOf(x)); // negative sizes: PyTorch's message
        var instruction = new Instruction(OpCode.Repeat, y, x);
        ForwardRules.Repeat(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>torch.split(tensor, split_size, dim)</c>: pieces of <paramref name="splitSize"/> along
    /// <paramref name="dim"/>, the last one smaller when the size does not divide; each a copy with grad_fn SplitBackward0.
    /// Allocates the returned array; <see cref="Split(int, Span{Tensor}, int)"/> fills a caller's span instead.</summary>
    /// <exception cref="ArgumentException">A 0-dim tensor, a negative size, or size 0 for a non-empty dim (PyTorch's messages).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int count = SplitPieces(splitSize, dim, out _, out _);
        var pieces = new Tensor[count];
        Split(splitSize, pieces, dim);
        return pieces;
    }

    /// <summary>torch.split with one size: writes the pieces (see <see cref="Split(int, int)"/>) to the start of
    /// <paramref name="destination"/> and returns how many there are, ⌈size / splitSize⌉ (1 when the dim is empty).
    /// Allocates no managed memory. All pieces are made or none (a capacity failure clears what it wrote).</summary>
    /// <exception cref="ArgumentException">As <see cref="Split(int, int)"/>, or <paramref name="destination"/> is too short
    /// (nothing is made then).</exception>
    public int Split(int splitSize, Span<Tensor> destination, int dim = 0)
    {
        int count = SplitPieces(splitSize, dim, out int d, out int size);
        CheckRoom(destination, count);
        return MakePieces(OpCode.Split, d, splitSize, size, count, default, destination);
    }

    /// <summary><c>torch.split(tensor, split_sizes, dim)</c>: one piece per entry of <paramref name="sizes"/>, which must sum
    /// to the size of <paramref name="dim"/>; each a copy with grad_fn SplitWithSizesBackward0. Allocates the returned
    /// array; <see cref="Split(ReadOnlySpan{int}, Span{Tensor}, int)"/> fills a caller's span instead.</summary>
    /// <exception cref="ArgumentException">A 0-dim tensor, a negative size, or sizes that do not sum to the dim (PyTorch's messages).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    public Tensor[] Split(ReadOnlySpan<int> sizes, int dim = 0)
    {
        CheckSplitSizes(sizes, dim, out _);
        var pieces = new Tensor[sizes.Length];
        Split(sizes, pieces, dim);
        return pieces;
    }

    /// <summary>torch.split with a list of sizes: writes the <c>sizes.Length</c> pieces (see
    /// <see cref="Split(ReadOnlySpan{int}, int)"/>) to the start of <paramref name="destination"/> and returns their count.
    /// Allocates no managed memory; all pieces are made or none.</summary>
    /// <exception cref="ArgumentException">As <see cref="Split(ReadOnlySpan{int}, int)"/>, or <paramref name="destination"/> is
    /// too short.</exception>
    public int Split(ReadOnlySpan<int> sizes, Span<Tensor> destination, int dim = 0)
    {
        CheckSplitSizes(sizes, dim, out int d);
        CheckRoom(destination, sizes.Length);
        return MakePieces(OpCode.SplitWithSizes, d, 0, 0, sizes.Length, sizes, destination);
    }

    /// <summary><c>torch.chunk(tensor, chunks, dim)</c>: torch.split with ⌈size / chunks⌉ per piece, so there may be fewer
    /// than <paramref name="chunks"/> pieces (an empty dim gives <paramref name="chunks"/> empty pieces, as in PyTorch).
    /// grad_fn SplitBackward0 (SplitWithSizesBackward0 for the empty dim). Allocates the returned array.</summary>
    /// <exception cref="ArgumentException">A 0-dim tensor or <paramref name="chunks"/> ≤ 0 (PyTorch's messages).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        int count = ChunkPieces(chunks, dim, out _, out _, out _);
        var pieces = new Tensor[count];
        Chunk(chunks, pieces, dim);
        return pieces;
    }

    /// <summary>torch.chunk into <paramref name="destination"/>: writes the pieces (see <see cref="Chunk(int, int)"/>) to its
    /// start and returns how many there are (at most <paramref name="chunks"/>). Allocates no managed memory; all pieces
    /// are made or none.</summary>
    /// <exception cref="ArgumentException">As <see cref="Chunk(int, int)"/>, or <paramref name="destination"/> is too short.</exception>
    public int Chunk(int chunks, Span<Tensor> destination, int dim = 0)
    {
        int count = ChunkPieces(chunks, dim, out int d, out int size, out int splitSize);
        CheckRoom(destination, count);
        return size == 0 && splitSize == 0
            ? MakePieces(OpCode.SplitWithSizes, d, 0, 0, count, default, destination) // every piece empty
            : MakePieces(OpCode.Split, d, splitSize, size, count, default, destination);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    /// <summary>A copy of elements start, start+step, ... (<paramref name="length"/> of them) along dim d.</summary>
    private static Tensor SliceOf(Arena arena, int x, OpCode op, int d, int start, int length, int step)
    {
        Span<int> outShape = stackalloc int[arena.RankOf(x)];
        arena.ShapeOf(x).CopyTo(outShape);
        outShape[d] = length;
        if (length <= 1) step = 1; // one element: any step reads the same, and a huge one would overflow the stride
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(outShape, record) : arena.NewSlot(outShape, arena.DTypeOf(x));
        var instruction = new Instruction(op, y, x) { Int0 = d, Int1 = length == 0 ? 0 : start, Int2 = step };
        ForwardRules.Slice(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary>A view of x's values in <paramref name="shape"/>, recorded as <paramref name="op"/> the way Reshape records.</summary>
    private static Tensor ShareAs(Arena arena, int x, OpCode op, ReadOnlySpan<int> shape, int dim)
    {
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(shape, record, arena.ValuesAddress(x), arena.VersionOwnerOf(x))
            : arena.NewSlot(shape, arena.DTypeOf(x), arena.ValuesAddress(x), arena.VersionOwnerOf(x));
        arena.Record(new Instruction(op, y, x) { Int0 = dim }, record);
        if (!record && (arena.IsNoGradView(x) || (!arena.IsGradEnabled && arena.RequiresGrad(x)))) arena.MarkNoGradView(y); // PyTorch's NO_GRAD_MODE views
        return arena.Handle(y);
    }

    /// <summary>torch.split's checks, in its order; returns the number of pieces.</summary>
    private int SplitPieces(int splitSize, int dim, out int d, out int size)
    {
        Arena arena = Arena;
        ReadOnlySpan<int> shape = arena.ShapeOf(_slot);
        if (shape.Length == 0) throw new ArgumentException("split expects at least a 1-dimensional tensor", nameof(dim));
        if (splitSize < 0)
            throw new ArgumentException($"split expects split_size be non-negative, but got split_size={splitSize}", nameof(splitSize));
        d = ShapeMath.NormalizeDim(dim, shape.Length);
        size = shape[d];
        if (splitSize == 0 && size != 0)
            throw new ArgumentException($"split_size can only be 0 if dimension size is 0, but got dimension size of {size}", nameof(splitSize));
        return splitSize == 0 ? 1 : Math.Max((int)(((long)size + splitSize - 1) / splitSize), 1);
    }

    /// <summary>torch.chunk's checks, in its order; returns the number of pieces.</summary>
    private int ChunkPieces(int chunks, int dim, out int d, out int size, out int splitSize)
    {
        Arena arena = Arena;
        ReadOnlySpan<int> shape = arena.ShapeOf(_slot);
        if (shape.Length == 0) throw new ArgumentException("chunk expects at least a 1-dimensional tensor", nameof(dim));
        if (chunks <= 0) throw new ArgumentException($"chunk expects `chunks` to be greater than 0, got: {chunks}", nameof(chunks));
        d = ShapeMath.NormalizeDim(dim, shape.Length);
        size = shape[d];
        splitSize = (int)(((long)size + chunks - 1) / chunks);
        if (splitSize == 0 && size == 0) return chunks;
        return Math.Max((int)(((long)size + splitSize - 1) / splitSize), 1);
    }

    /// <summary>torch.split_with_sizes' checks: non-negative entries that sum to the dim.</summary>
    private void CheckSplitSizes(ReadOnlySpan<int> sizes, int dim, out int d)
    {
        Arena arena = Arena;
        ReadOnlySpan<int> shape = arena.ShapeOf(_slot);
        if (shape.Length == 0) throw new ArgumentException("split expects at least a 1-dimensional tensor", nameof(dim));
        d = ShapeMath.NormalizeDim(dim, shape.Length);
        long sum = 0;
        foreach (int size in sizes)
        {
            if (size < 0)
                throw new ArgumentException(
                    $"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={ShapeMath.Format(sizes)}", nameof(sizes));
            sum += size;
        }
        if (sum != shape[d])
            throw new ArgumentException(
                $"split_with_sizes expects split_sizes to sum exactly to {shape[d]} (input tensor's size at dimension {dim}), but got split_sizes={ShapeMath.Format(sizes)}",
                nameof(sizes));
    }

    private static void CheckRoom(Span<Tensor> destination, int count)
    {
        if (destination.Length < count)
            throw new ArgumentException(
                $"The destination holds {destination.Length} tensors, but the split makes {count}; pass a span of at least {count}.", nameof(destination));
    }

    /// <summary>Makes <paramref name="count"/> pieces along d: of <paramref name="splitSize"/> (the last one what is left of
    /// <paramref name="size"/>), or of <paramref name="sizes"/> when given, or empty. All or nothing.</summary>
    private int MakePieces(OpCode op, int d, int splitSize, int size, int count, ReadOnlySpan<int> sizes, Span<Tensor> destination)
    {
        Arena arena = Arena;
        int x = _slot;
        using OpTransaction transaction = arena.BeginOp();
        try
        {
            int start = 0;
            for (int i = 0; i < count; i++)
            {
                int length = !sizes.IsEmpty ? sizes[i] : splitSize == 0 ? 0 : Math.Min(splitSize, size - start);
                destination[i] = SliceOf(arena, x, op, d, start, length, 1);
                start += length;
            }
        }
        catch
        {
            destination[..count].Clear();
            throw;
        }
        transaction.Commit();
        return count;
    }

    /// <summary>The tensor type PyTorch names in expand's message.</summary>
    private static string TorchTensorType(DType dtype) => dtype switch
    {
        DType.Int32 => "torch.IntTensor",
        DType.Bool => "CPUBoolType", // PyTorch 1.13 has no legacy name for bool (its message says so)
        _ => "torch.FloatTensor",
    };
}
