using System.Runtime.CompilerServices;
using System.Threading;
using ArenaGrad.Capture;
using ArenaGrad.Kernels.Gemm;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

/// <summary>
/// Owns every tensor's values, gradients and metadata in native memory, and the tape that records
/// operations for <see cref="Tensor.Backward"/>.
/// </summary>
/// <remarks>
/// <para>Metadata is a table in struct-of-arrays form, split by access: one column of 64-byte headers holding what
/// every op and handle check reads and writes together (generation, values and gradient pointers, length, rank,
/// dtype, a flag byte with requires-grad, is-leaf, retains-grad and gradient-holds-a-value, and the shape), and one
/// column of the colder fields (producing instruction, version counter, gradient view). A <see cref="Tensor"/> is an
/// index into that table plus the generation the slot had when the tensor was made.</para>
/// <para>Values and gradients live on one stack of native blocks. Tensors made outside any
/// <see cref="Scope"/> live until the arena is disposed; a scope rewinds the stack, the table and the tape
/// in O(1). A tensor that requires grad has its gradient reserved beside its values when it is made, so
/// backward never allocates memory that would outlive its scope.</para>
/// <para>Owned by one thread at a time. The thread that creates an arena owns it; a call from any other thread
/// (making or reading a tensor, an op, backward, a scope) throws <see cref="InvalidOperationException"/> naming
/// both threads, instead of racing on the tables. To hand an arena over, the owner calls
/// <see cref="ReleaseOwnership"/>; the next thread that uses it then claims it (atomically, so two threads
/// cannot both win). The check is one compare of <see cref="Environment.CurrentManagedThreadId"/> per
/// handle validation and allocation (against a thread-static copy of it). Counters such as <see cref="TensorCount"/> may be read from any thread.</para>
/// <para>An arena that is never disposed frees its native memory when the garbage collector finalizes it;
/// dispose it to free the memory at a known time.</para>
/// </remarks>
public sealed unsafe partial class Arena : IDisposable
{
    // The tensor table (index = slot): a column of 64-byte headers, the fields every op and handle check touch, and a
    // column of the cold fields. Both are chunked, so rows never move (a Shape span stays valid while tensors are made).
    private ChunkedColumn<TensorHeader> _rows;
    private ChunkedColumn<TensorDetails> _details;
    private int _slotCount;                // live slots: rows [0, _slotCount)
    private int _slotCapacity;             // both columns have room for this many slots (GrowSlots)
    private BitColumn _backwardReached;    // scratch of PlanBackward: slots a gradient can reach
    private BitColumn _graphNeeded;        // scratch of Autograd.Grad: slots on a path from the requested inputs

    private FloatStack _floats;
    private ulong _nextGeneration = 1;
    private long _gradientFloats;
    private NativeList<StackMarks> _openScopes; // where each open scope began, innermost last
    private int _nextScopeId = 1;
    private bool _disposed;
    private int _ownerThread;              // managed id of the owning thread; Unowned after ReleaseOwnership, DisposedOwner after Dispose

    // Neither is a managed thread id (those start at 1) nor the 0 of a thread whose cache below is not filled yet,
    // so the fast check sends every use of an unowned or disposed arena, and every first use on a thread, to the slow path.
    private const int Unowned = -2;
    private const int DisposedOwner = -1;

    /// <summary>This thread's <see cref="Environment.CurrentManagedThreadId"/>, or 0 until the slow path fills it.
    /// Reading a thread-static int costs a fraction of what that property costs (ThreadCheckBenchmarks). It lives in a
    /// class of its own: a thread static of a class without a static constructor is read inline (two loads off the
    /// thread pointer), where one of this class went through a helper call on every op.</summary>
    private static ref int t_managedThreadId => ref ThreadIdentity.ManagedId;

    /// <summary>The cached managed id of the current thread (0 if this thread has not used an arena yet).</summary>
    internal static int CachedThreadId
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ThreadIdentity.ManagedId;
    }

    /// <summary>Creates an arena with default <see cref="ArenaOptions"/>.</summary>
    public Arena() : this(new ArenaOptions()) { }

    /// <summary>Creates an arena with the given sizes and limits.</summary>
    public Arena(ArenaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BlockBytes <= 0 || options.BlockBytes > ArenaOptions.MaxBlockBytes)
            throw new ArgumentOutOfRangeException(nameof(options), options.BlockBytes,
                $"ArenaOptions.BlockBytes must be between 1 and {ArenaOptions.MaxBlockBytes} (2^31 floats, room for the largest tensor), but got {options.BlockBytes}.");
        if (options.MaxBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBytes, "ArenaOptions.MaxBytes must be positive.");
        if (options.IntraOpThreads < 1 || options.IntraOpThreads > ArenaOptions.MaxIntraOpThreads)
            throw new ArgumentOutOfRangeException(nameof(options), options.IntraOpThreads,
                $"ArenaOptions.IntraOpThreads must be between 1 and {ArenaOptions.MaxIntraOpThreads}, but got {options.IntraOpThreads}.");
        Options = options;
        _ownerThread = t_managedThreadId = Environment.CurrentManagedThreadId;
        _floats = new FloatStack(options.BlockBytes, options.MaxBytes);
        _random = new Xoshiro256(options.Seed);
        if (options.IntraOpThreads > 1 || !options.Deterministic) GemmTeam = new GemmTeam(options.IntraOpThreads, options.Deterministic);
    }

    /// <summary>The workers that share large matrix products and the rounding they use, or null for a single-threaded
    /// deterministic arena.</summary>
    internal GemmTeam? GemmTeam { get; }

    /// <summary>The options this arena was made with.</summary>
    public ArenaOptions Options { get; }

    /// <summary>Whether operations record onto the tape (PyTorch's grad mode). On by default.</summary>
    public bool IsGradEnabled { get; internal set; } = true;

    /// <summary>Number of live tensor slots (user tensors, gradient views and saved buffers).</summary>
    public int TensorCount => _slotCount;

    /// <summary>Native bytes reserved for values and gradients (blocks are kept and reused after scopes end).</summary>
    public long ReservedBytes => _floats.ReservedBytes;

    /// <summary>Number of native blocks reserved for values and gradients.</summary>
    public int BlockCount => _floats.BlockCount;

    /// <summary>Bytes of gradient buffers reserved by live tensors.</summary>
    public long GradientBytes => _gradientFloats * sizeof(float);

    /// <summary>Starts a scope: everything made until it is disposed is released then.</summary>
    public ArenaScope Scope()
    {
        CheckUse();
        ThrowIfCapturing(CaptureRefusal.Scope, "arena.Scope()");
        var marks = new StackMarks(_nextScopeId++, _slotCount, _floats.Mark, _tape.Count, _operands.Count, _gradientFloats);
        _openScopes.Add(marks);
        return new ArenaScope(this, marks.ScopeId);
    }

    /// <summary>Throws unless no <see cref="Scope"/> is open, for the calls that make tensors which must outlive every
    /// training step (a module's parameters, an optimizer's state, a loaded model's parameters): made inside a scope, they
    /// would be released when it ends. The one wording of that refusal.</summary>
    /// <param name="maker">Who makes what, e.g. "Linear makes its parameters when it is constructed".</param>
    /// <param name="advice">What to do first, e.g. "Construct modules (and optimizers)"; " before entering arena.Scope()."
    /// follows it.</param>
    internal void ThrowIfScopeOpen(string maker, string advice)
    {
        if (_openScopes.Count > 0)
            throw new InvalidOperationException(
                $"{maker}, and they must outlive every training step, but an arena scope is open: they would be released when " +
                $"it ends. {advice} before entering arena.Scope().");
    }

    /// <summary>Turns recording off until the returned scope is disposed (<c>torch.no_grad()</c>).</summary>
    public GradModeScope NoGrad() => SetGradEnabled(false);

    /// <summary>Turns recording on until the returned scope is disposed (<c>torch.enable_grad()</c>).</summary>
    public GradModeScope EnableGrad() => SetGradEnabled(true);

    /// <summary>Sets grad mode until the returned scope is disposed (<c>torch.set_grad_enabled(b)</c>).</summary>
    public GradModeScope SetGradEnabled(bool enabled)
    {
        CheckUse();
        var scope = new GradModeScope(this, IsGradEnabled);
        IsGradEnabled = enabled;
        return scope;
    }

    /// <summary>The generation the next tensor slot gets (tests force it past 2^32).</summary>
    internal ulong NextGeneration
    {
        get => _nextGeneration;
        set => _nextGeneration = value;
    }

    /// <summary>Frees all native memory. Every tensor of this arena becomes unusable.</summary>
    /// <exception cref="InvalidOperationException">Another thread owns the arena (it may be using the memory).</exception>
    public void Dispose()
    {
        if (_disposed) return;
        PrepareDispose(); // a frozen arena unfreezes (refused while borrowed), a pooled one is claimed, borrows are released
        CheckUse();
        _disposed = true;
        Volatile.Write(ref _ownerThread, DisposedOwner);
        FreeNativeMemory();
        GC.SuppressFinalize(this);
    }

    /// <summary>Backstop for an arena that was never disposed: frees its native memory and stops its GEMM workers
    /// (whose events their own threads keep alive; no other managed object is touched on the finalizer thread).</summary>
    ~Arena() => FreeNativeMemory();

    private void FreeNativeMemory()
    {
        GemmTeam?.Dispose();
        _slotCapacity = 0;
        _slotCount = 0;
        _rows.Free(); _details.Free();
        _backwardReached.Free(); _graphNeeded.Free();
        _tape.Free(); _scratchUpTo.Free(); _operands.Free(); _openScopes.Free(); _trace.Free(); _backwardRan.Free();
        _graphGradient.Free(); _graphGradients.Free(); _customEntries.Free();
        _floats.Free();
    }

    /// <summary>Where every stack of the arena stood when a scope began; ending the scope rewinds to it.</summary>
    private readonly record struct StackMarks(int ScopeId, int Slots, FloatStackMark Floats, int Tape, int Operands, long GradientFloats);

    internal void EndScope(int scopeId)
    {
        if (_disposed) return; // disposing the arena already released everything
        CheckUse();
        int depth = _openScopes.Count;
        if (depth == 0 || _openScopes[depth - 1].ScopeId != scopeId)
        {
            for (int d = 0; d < depth - 1; d++)
                if (_openScopes[d].ScopeId == scopeId)
                    throw new InvalidOperationException(
                        $"Arena scopes must end innermost first: this scope is at depth {d + 1}, but the innermost open scope is at depth {depth}.");
            return; // already ended: a second Dispose does nothing
        }
        StackMarks marks = _openScopes[depth - 1];
        _openScopes.Count--;
        _floats.Rewind(marks.Floats);
        RewindTables(marks.Slots, marks.Tape, marks.Operands, marks.GradientFloats);
        if (_pinnedSources > 0) ReleaseDeadBorrows(); // frozen arenas whose borrowed views all ended with this scope
    }

    /// <summary>O(1): rewinds every column and stack. Stale handles are caught by index &gt;= count or by generation.</summary>
    private void RewindTables(int slots, int tape, int operands, long gradientFloats)
    {
        _slotCount = slots;
        _tape.Count = tape;
        RewindPlanFacts(tape);
        _operands.Count = operands;
        _gradientFloats = gradientFloats;
    }

    // ---- op atomicity -------------------------------------------------------------------------------

    /// <summary>Where every stack stood when an op began: slots, floats (and the blocks reserved so far), tape,
    /// operands, gradient bytes, and the random generator (so a failed initializer does not shift later samples).</summary>
    internal readonly record struct OpMark(int Slots, FloatStackMark Floats, long BlockSerial, int Tape, int Operands, long GradientFloats,
        Xoshiro256 Random);

    /// <summary>Starts an op that takes more than one allocation (or can fail after its first): everything it
    /// makes is undone unless it reaches <see cref="OpTransaction.Commit(int)"/>. Use as
    /// <c>using OpTransaction op = arena.BeginOp(); ... return op.Commit(y);</c>.</summary>
    /// <remarks>An op with a single <see cref="NewSlot(ReadOnlySpan{int}, bool, nint, int)"/> needs none: NewSlot takes its memory in one request
    /// before it changes anything.</remarks>
    internal OpTransaction BeginOp()
    {
        CheckUse();
        return new OpTransaction(this,
            new OpMark(_slotCount, _floats.Mark, _floats.NextBlockSerial, _tape.Count, _operands.Count, _gradientFloats, _random));
    }

    /// <summary>Puts every stack back where <paramref name="mark"/> found it and frees blocks reserved since.</summary>
    internal void RollBack(in OpMark mark)
    {
        if (_disposed) return;
        _floats.RewindAndReleaseBlocksSince(mark.Floats, mark.BlockSerial);
        RewindTables(mark.Slots, mark.Tape, mark.Operands, mark.GradientFloats);
        _random = mark.Random;
    }

    /// <summary>Test hook: the <paramref name="nth"/> float allocation from now on (1 = the next) throws
    /// <see cref="ArenaCapacityException"/>, as if the cap were reached there; 0 turns it off.</summary>
    internal void FailAllocation(int nth) => _floats.FailAllocation(nth);

    /// <summary>The top of the float stack (tests compare it before and after a failed op).</summary>
    internal FloatStackMark FloatMark => _floats.Mark;

    // ---- the tensor table -------------------------------------------------------------------------

    /// <summary>Makes a contiguous tensor slot for an op's result; with <paramref name="requiresGrad"/> its gradient is
    /// reserved beside the values. <paramref name="sharedValues"/> makes a view of existing values instead.</summary>
    /// <remarks>All memory is taken in one request, so a capacity failure leaves the arena unchanged. The slot that
    /// views the gradient (what .Grad returns) is not made here: a recorded result is a non-leaf, whose .grad is None
    /// unless <see cref="RetainGradient"/> makes that slot; one slot instead of two is about a tenth of a small op's
    /// cost. Leaves are made with <see cref="NewLeafSlot"/>.</remarks>
    internal int NewSlot(ReadOnlySpan<int> shape, bool requiresGrad, nint sharedValues = 0, int versionOwner = -1)
    {
        CheckUse();
        long length = ShapeMath.CheckedNumel(shape);
        return NewSlotOfValidShape(shape, (int)length, requiresGrad, sharedValues, versionOwner, gradientView: false);
    }

    /// <summary>A slot of <paramref name="dtype"/> that does not require grad (integer and boolean results, and views
    /// of any dtype); <paramref name="sharedValues"/> makes a view.</summary>
    internal int NewSlot(ReadOnlySpan<int> shape, DType dtype, nint sharedValues = 0, int versionOwner = -1)
    {
        int slot = NewSlot(shape, requiresGrad: false, sharedValues, versionOwner);
        _rows[slot].DType = dtype;
        return slot;
    }

    /// <summary>Makes a leaf tensor's slot (factories): as <see cref="NewSlot(ReadOnlySpan{int}, bool, nint, int)"/>, and with <paramref name="requiresGrad"/>
    /// also the slot that views its gradient, made now because a leaf's .grad is read anywhere, inner scopes included.</summary>
    internal int NewLeafSlot(ReadOnlySpan<int> shape, bool requiresGrad)
    {
        CheckUse();
        long length = ShapeMath.CheckedNumel(shape);
        return NewSlotOfValidShape(shape, (int)length, requiresGrad, 0, -1, gradientView: true);
    }

    /// <summary>Makes the output slot of an op (requiring grad) and a buffer it saves for backward with one memory
    /// request, so that the op has a single point of capacity failure. Returns the output slot.</summary>
    internal int NewSlotWithSaved(ReadOnlySpan<int> shape, ReadOnlySpan<int> savedShape, out int saved)
    {
        CheckUse();
        long length = ShapeMath.CheckedNumel(shape), savedLength = ShapeMath.CheckedNumel(savedShape);
        long valueFloats = RoundUp(length), savedFloats = RoundUp(savedLength);
        float* block = _floats.Allocate(2 * valueFloats + savedFloats); // values, gradient, saved buffer
        int slot = AddSlot(shape, (int)length, block);
        AttachGradient(slot, block + valueFloats);
        saved = AddSlot(savedShape, (int)savedLength, block + 2 * valueFloats);
        return slot;
    }

    /// <summary>A new slot of <paramref name="input"/>'s shape for an elementwise op's result. The caller validated the
    /// input's handle, which also checked the owner thread; the shape is valid because the input has it.</summary>
    /// <remarks>As <see cref="NewSlot(ReadOnlySpan{int}, bool, nint, int)"/>, no slot viewing the gradient is made.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int NewSlotLike(int input, bool requiresGrad) =>
        NewSlotOfValidShape(ShapeOf(input), _rows[input].Length, requiresGrad, 0, -1, gradientView: false);

    /// <summary><see cref="NewSlot(ReadOnlySpan{int}, bool, nint, int)"/> for a shape already known valid with <paramref name="length"/> elements, from
    /// a caller that already checked the owner thread (by validating a handle). The value slot and the gradient
    /// slot are written in one pass after one capacity check.</summary>
    internal int NewSlotOfValidShape(ReadOnlySpan<int> shape, int length, bool requiresGrad, nint sharedValues, int versionOwner,
        bool gradientView)
    {
        int slot = _slotCount;
        int count = requiresGrad && gradientView ? slot + 2 : slot + 1;
        if (count > _slotCapacity) return NewSlotAfterGrowing(shape, length, requiresGrad, sharedValues, versionOwner, gradientView, count);
        long rounded = RoundUp(length);
        long valueFloats = sharedValues == 0 ? rounded : 0;
        long gradientFloats = requiresGrad ? rounded : 0;
        // The only step that can fail on a full arena comes first, so a refusal changes nothing.
        float* block = valueFloats + gradientFloats > 0 ? _floats.Allocate(valueFloats + gradientFloats) : null;
        float* values = sharedValues != 0 ? (float*)sharedValues : block;
        TensorFlags flags = sharedValues != 0 ? TensorFlags.IsLeaf | TensorFlags.SharesMemory : TensorFlags.IsLeaf;
        if (!requiresGrad)
        {
            WriteSlot(slot, shape, length, values, versionOwner, flags: flags);
        }
        else
        {
            float* gradient = block + valueFloats;
            WriteSlot(slot, shape, length, values, versionOwner, gradient, flags | TensorFlags.RequiresGrad);
            if (gradientView)
            {
                WriteSlot(slot + 1, shape, length, gradient, flags: TensorFlags.IsLeaf | TensorFlags.SharesMemory);
                _details[slot].GradientSlot = slot + 1;
            }
            _gradientFloats += gradientFloats;
        }
        _slotCount = count;
        return slot;
    }

    /// <summary><see cref="NewSlotOfValidShape"/> when the table must grow first. <paramref name="shape"/> may be another
    /// row's shape (same-shape ops pass <c>ShapeOf</c> their input): growing adds chunks and never moves a row, so it stays
    /// valid. Growing changes no slot, so a capacity refusal after it still changes nothing.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int NewSlotAfterGrowing(ReadOnlySpan<int> shape, int length, bool requiresGrad, nint sharedValues, int versionOwner,
        bool gradientView, int count)
    {
        GrowSlots(count);
        return NewSlotOfValidShape(shape, length, requiresGrad, sharedValues, versionOwner, gradientView);
    }

    /// <summary><see cref="AddSlot"/> when the table must grow first (rows never move, as above).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int AddSlotAfterGrowing(ReadOnlySpan<int> shape, int length, float* values, TensorFlags flags)
    {
        GrowSlots(_slotCount + 1);
        return AddSlot(shape, length, values, flags);
    }

    /// <summary>Appends one slot (a leaf with no gradient; <paramref name="flags"/> says whether the values are its own).</summary>
    private int AddSlot(ReadOnlySpan<int> shape, int length, float* values, TensorFlags flags = TensorFlags.IsLeaf)
    {
        int slot = _slotCount;
        if (slot + 1 > _slotCapacity) return AddSlotAfterGrowing(shape, length, values, flags);
        WriteSlot(slot, shape, length, values, flags: flags);
        _slotCount = slot + 1;
        return slot;
    }

    /// <summary>Writes row <paramref name="slot"/> of both columns: a contiguous Float32 leaf with its own version counter
    /// (or <paramref name="versionOwner"/>'s), no producer and no gradient view, with <paramref name="gradient"/> and
    /// <paramref name="flags"/> (by default: no gradient, a leaf that requires no grad). The caller made room
    /// (<see cref="GrowSlots"/>) and sets the count afterwards.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteSlot(int slot, ReadOnlySpan<int> shape, int length, float* values, int versionOwner = -1,
        float* gradient = null, TensorFlags flags = TensorFlags.IsLeaf)
    {
        ref TensorHeader row = ref _rows[slot];
        row.Generation = _nextGeneration++;
        row.Values = (nint)values;
        row.Gradient = (nint)gradient;
        row.Length = length;
        row.Rank = (byte)shape.Length;
        row.DType = DType.Float32;
        row.Flags = flags;
        for (int d = 0; d < shape.Length; d++) row.Shape[d] = shape[d]; // rank <= 8: cheaper than a call to Memmove
        // Field by field: a struct built on the stack and copied in one 16-byte move waits on its narrow stores.
        ref TensorDetails details = ref _details[slot];
        details.Producer = -1;
        details.VersionOwner = versionOwner >= 0 ? versionOwner : slot;
        details.Version = 0;
        details.GradientSlot = -1;
    }

    /// <summary>Makes room for <paramref name="needed"/> slots in every column and flag at once, so that making a
    /// slot costs one capacity check instead of one per column.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowSlots(int needed)
    {
        int capacity = Math.Max(Math.Max(64, needed), _slotCapacity * 2);
        _rows.EnsureCapacity(capacity);
        _details.EnsureCapacity(capacity);
        _slotCapacity = capacity;
    }

    /// <summary>Gives <paramref name="slot"/> a gradient buffer and the slot that views it.</summary>
    private void AttachGradient(int slot, float* gradient)
    {
        _gradientFloats += RoundUp(_rows[slot].Length);
        _rows[slot].Gradient = (nint)gradient;
        AddGradientView(slot);
        _rows[slot].Set(TensorFlags.RequiresGrad, true);
    }

    /// <summary>Makes the slot that views <paramref name="slot"/>'s gradient buffer (what .Grad returns).</summary>
    private void AddGradientView(int slot)
    {
        // Into a local first: AddSlot grows the columns, and `_details[slot].GradientSlot = AddSlot(...)` would take the
        // element's address before the call and write through it after a reallocation.
        int gradientSlot = AddSlot(ShapeOf(slot), _rows[slot].Length, (float*)_rows[slot].Gradient, TensorFlags.IsLeaf | TensorFlags.SharesMemory);
        _details[slot].GradientSlot = gradientSlot;
    }

    /// <summary>retain_grad(): keeps <paramref name="slot"/>'s gradient after backward, making the slot that views it
    /// if its op did not (<see cref="NewSlotLike"/>). That slot is released with the innermost scope, so it can only be
    /// made for a tensor of that scope.</summary>
    internal void RetainGradient(int slot)
    {
        if (_details[slot].GradientSlot < 0 && _rows[slot].Gradient != 0)
        {
            if (_openScopes.Count > 0 && slot < _openScopes[_openScopes.Count - 1].Slots)
                throw new InvalidOperationException(
                    "retain_grad can only be called on a tensor made in the innermost open arena scope (or outside every scope " +
                    "when none is open), because the tensor that holds its gradient is released with the innermost scope. Call " +
                    "RetainGrad() before entering the inner scope.");
            AddGradientView(slot);
        }
        _rows[slot].Set(TensorFlags.RetainsGrad, true);
    }

    /// <summary>Reserves a gradient for an existing leaf (set requires_grad later). The buffer goes on top of
    /// the stack, so it must not outlive the innermost scope unless the tensor was made in that scope.</summary>
    internal void EnsureGradient(int slot)
    {
        if (_rows[slot].Gradient != 0) { _rows[slot].Set(TensorFlags.RequiresGrad, true); return; }
        if (_openScopes.Count > 0 && slot < _openScopes[_openScopes.Count - 1].Slots)
            throw new InvalidOperationException(
                "requires_grad can only be turned on for a tensor made in the innermost open arena scope (or outside every scope " +
                "when none is open), because its gradient is released with the innermost scope. Make the tensor with " +
                "requiresGrad: true, or call SetRequiresGrad() before entering the scope.");
        float* gradient = _floats.Allocate(RoundUp(_rows[slot].Length));
        AttachGradient(slot, gradient);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long RoundUp(long floats) => (floats + 15) & ~15L;

    // ---- handles ----------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Tensor Handle(int slot) => new(this, slot, _rows[slot].Generation);

    /// <summary>Checks that a handle still names the tensor it was made for, and that this thread owns the arena.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Validate(int slot, ulong generation)
    {
        // One compare covers ownership and disposal (Dispose sets the owner to an id no thread has); a disposed
        // arena also has no slots, so the slot test fails too.
        if (_ownerThread != t_managedThreadId || (uint)slot >= (uint)_slotCount || _rows[slot].Generation != generation)
            ValidateSlow(slot, generation);
        return slot;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ValidateSlow(int slot, ulong generation)
    {
        ClaimOrThrow();
        if ((uint)slot < (uint)_slotCount && _rows[slot].Generation == generation) return; // just claimed
        ThrowInvalidHandle(slot, generation);
    }

    /// <summary>Whether (slot, generation) names a live tensor, without throwing (except for a use from a thread
    /// that does not own the arena).</summary>
    internal bool IsLive(int slot, ulong generation)
    {
        if (_ownerThread != t_managedThreadId)
        {
            if (_disposed) return false;
            ClaimOrThrow();
        }
        return !_disposed && (uint)slot < (uint)_slotCount && _rows[slot].Generation == generation;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowInvalidHandle(int slot, ulong generation)
    {
        ThrowIfDisposed();
        throw new InvalidOperationException(
            $"This tensor (slot {slot}, generation {generation}) was released: the arena scope it was made in has ended. " +
            "Tensors that must outlive a step (parameters) have to be made outside arena.Scope().");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Checks that the arena may be used now: not disposed, and owned by (or claimable by) this thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckUse()
    {
        if (_ownerThread != t_managedThreadId) ClaimOrThrow();
    }

    /// <summary>Managed id of the thread that owns this arena, or 0 while it is unowned (after
    /// <see cref="ReleaseOwnership"/>, until another thread uses it).</summary>
    public int OwnerThreadId => Math.Max(Volatile.Read(ref _ownerThread), 0);

    /// <summary>Gives up this thread's ownership, so that another thread may use the arena: the next thread that
    /// uses it becomes its owner. Call it on the owning thread when handing the arena over (for example before
    /// queueing work that uses it on the thread pool); the handover publishes every write made so far.</summary>
    /// <exception cref="InvalidOperationException">Called from a thread that does not own the arena.</exception>
    public void ReleaseOwnership()
    {
        CheckUse();
        Interlocked.Exchange(ref _ownerThread, Unowned);
    }

    /// <summary>Slow path of the ownership check: claims an unowned arena for this thread, or throws.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ClaimOrThrow()
    {
        int current = t_managedThreadId = Environment.CurrentManagedThreadId;
        int owner = Volatile.Read(ref _ownerThread);
        if (owner == current) return;
        if (owner == DisposedOwner) ThrowIfDisposed();
        if (owner is FrozenOwner or PooledOwner) ThrowFrozenOrPooled(owner);
        if (owner == Unowned)
        {
            owner = Interlocked.CompareExchange(ref _ownerThread, current, Unowned);
            if (owner == Unowned) return; // claimed: the exchange also makes the previous owner's writes visible
            if (owner == current) return;
            if (owner == DisposedOwner) ThrowIfDisposed();
        }
        throw new InvalidOperationException(
            $"This arena is owned by managed thread {owner}, but was used from thread {current}. An arena and its tensors may be " +
            $"used by one thread at a time. To hand it over, call arena.ReleaseOwnership() on thread {owner}; the next thread " +
            "that uses the arena then owns it. To work in parallel, give each thread its own arena.");
    }

    // ---- column access for ops and kernels ----------------------------------------------------------

    internal ReadOnlySpan<int> ShapeOf(int slot)
    {
        ref TensorHeader row = ref _rows[slot];
        return ((ReadOnlySpan<int>)row.Shape)[..row.Rank];
    }

    /// <summary>Writes <paramref name="slot"/>'s element strides (row-major contiguous, as every tensor is) into the first
    /// <see cref="RankOf"/> entries of <paramref name="strides"/>.</summary>
    internal void StridesOf(int slot, Span<int> strides) => ShapeMath.ContiguousStrides(ShapeOf(slot), strides);

    internal int RankOf(int slot) => _rows[slot].Rank;
    internal int LengthOf(int slot) => _rows[slot].Length;
    internal nint ValuesAddress(int slot) => _rows[slot].Values;
    internal Span<float> Values(int slot) => new((void*)_rows[slot].Values, _rows[slot].Length);
    internal bool RequiresGrad(int slot) => _rows[slot].Has(TensorFlags.RequiresGrad);
    internal bool IsLeaf(int slot) => _rows[slot].Has(TensorFlags.IsLeaf);
    internal bool RetainsGrad(int slot) => _rows[slot].Has(TensorFlags.RetainsGrad);
    internal int ProducerOf(int slot) => _details[slot].Producer;
    internal int VersionOf(int slot) => _details[_details[slot].VersionOwner].Version;
    internal int VersionOwnerOf(int slot) => _details[slot].VersionOwner;
    internal void BumpVersion(int slot)
    {
        _details[_details[slot].VersionOwner].Version++;
        _versionsStaleBelow = _tape.Count; // what is on the tape now may have saved the old version
    }
    internal DType DTypeOf(int slot) => _rows[slot].DType;

    /// <summary>The 4-byte elements of an Int32 or Bool slot (a Bool is 0 or 1).</summary>
    internal Span<int> IntValues(int slot) => new((void*)_rows[slot].Values, _rows[slot].Length);

    /// <summary>Throws unless <paramref name="slot"/> holds Float32 (the dtype of every differentiable op's operands).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RequireFloat(int slot)
    {
        if (_rows[slot].DType != DType.Float32) ThrowDType(DType.Float32, slot);
    }

    /// <summary>Throws unless <paramref name="slot"/> holds <paramref name="dtype"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RequireDType(int slot, DType dtype)
    {
        if (_rows[slot].DType != dtype) ThrowDType(dtype, slot);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowDType(DType expected, int slot) => throw new ArgumentException(DTypes.Expected(expected, _rows[slot].DType));

    internal void SetRequiresGradFlag(int slot, bool value) => _rows[slot].Set(TensorFlags.RequiresGrad, value);

    /// <summary>Whether <paramref name="slot"/> is a view made under no-grad of a tensor that requires grad: PyTorch
    /// refuses to change such a view in place while grad mode is on.</summary>
    internal bool IsNoGradView(int slot) => _rows[slot].Has(TensorFlags.NoGradView);

    internal void MarkNoGradView(int slot) => _rows[slot].Set(TensorFlags.NoGradView, true);

    /// <summary>The gradient view of <paramref name="slot"/>, or -1 when .grad is None.</summary>
    internal int GradientViewOf(int slot) => _rows[slot].Has(TensorFlags.GradientLive) ? _details[slot].GradientSlot : -1;

    /// <summary>Sets .grad to None (the next backward writes instead of adding).</summary>
    internal void ClearGradient(int slot) => _rows[slot].Set(TensorFlags.GradientLive, false);

    /// <summary>The gradient buffer of <paramref name="slot"/>, zeroed first if it held no value, so that every
    /// backward rule can accumulate (+=).</summary>
    internal Span<float> GradientForAccumulation(int slot)
    {
        Span<float> gradient = Gradient(slot);
        if (!_rows[slot].Has(TensorFlags.GradientLive))
        {
            gradient.Clear();
            _rows[slot].Set(TensorFlags.GradientLive, true);
        }
        return gradient;
    }

    /// <summary>The gradient buffer of <paramref name="slot"/>, marked as holding a value. When
    /// <paramref name="fresh"/> it held none and is NOT zeroed: the caller must write (=) every element, which
    /// saves a pass over memory compared with zeroing and then adding.</summary>
    internal Span<float> GradientForWrite(int slot, out bool fresh)
    {
        fresh = !_rows[slot].Has(TensorFlags.GradientLive);
        _rows[slot].Set(TensorFlags.GradientLive, true);
        return Gradient(slot);
    }

    /// <summary>The gradient flowing into <paramref name="slot"/> during backward, or empty when none arrived.</summary>
    internal ReadOnlySpan<float> IncomingGradient(int slot) =>
        _rows[slot].Has(TensorFlags.GradientLive) ? Gradient(slot) : default;

    /// <summary>The gradient buffer of a slot that has one.</summary>
    private Span<float> Gradient(int slot) => new((void*)_rows[slot].Gradient, _rows[slot].Length);

    /// <summary>Points <paramref name="slot"/>'s gradient at <paramref name="source"/>'s values (same shape) and marks it
    /// as holding a value, for one backward pass that only reads it; returns the slot's own buffer, which
    /// <see cref="ReturnGradient"/> puts back.</summary>
    private nint LendGradient(int slot, int source)
    {
        nint own = _rows[slot].Gradient;
        _rows[slot].Gradient = _rows[source].Values;
        _rows[slot].Set(TensorFlags.GradientLive, true);
        return own;
    }

    /// <summary>Undoes <see cref="LendGradient"/>: the slot's own buffer again, holding no value (.grad of a
    /// non-leaf that does not retain it is None after backward, as in PyTorch).</summary>
    private void ReturnGradient(int slot, nint own)
    {
        _rows[slot].Gradient = own;
        _rows[slot].Set(TensorFlags.GradientLive, false);
    }

    /// <summary>Scratch memory on top of the stack; give it back with <see cref="ReleaseScratch"/>.</summary>
    /// <remarks>During backward it is a share of the scratch reserved before the pass (see PlanBackward), so a
    /// rule never allocates.</remarks>
    internal Span<float> Scratch(long count, out FloatStackMark mark)
    {
        mark = _floats.Mark;
        if (_inBackward) return BackwardScratch(count);
        return new Span<float>(_floats.Allocate(count), checked((int)count));
    }

    internal void ReleaseScratch(FloatStackMark mark) => _floats.Rewind(mark);
}
