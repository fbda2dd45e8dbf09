using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ArenaGrad;

// Sharing one set of weights between arenas and threads without copying them.
//
// A frozen arena is read-only and has no owner: every direct use of it or of its tensors throws (one compare in the
// ownership check, which already sends every foreign thread to the slow path, so no op pays for freezing). Other
// arenas use its tensors through borrowed views: slots of the borrowing arena whose values pointer is the frozen
// tensor's, marked read-only. The frozen arena counts the arenas that hold live borrowed views ("pins") and refuses
// to unfreeze or be disposed while any does, so a view never outlives the memory it points at.
public sealed unsafe partial class Arena
{
    // Owner ids of the two states in which no thread owns the arena (see Unowned and DisposedOwner).
    private const int FrozenOwner = -3;
    private const int PooledOwner = -4;

    // -1 while not frozen; while frozen, how many arenas hold views borrowed from this one.
    private int _borrowers = -1;

    // Borrowing side. _readOnlyGeneration[slot] is the generation of the borrowed view made at that slot (0 elsewhere),
    // so a slot reused by an ordinary tensor is not read-only: its generation differs.
    private ulong[] _readOnlyGeneration = [];
    private List<BorrowSource>? _borrowSources;
    private int _pinnedSources;

    /// <summary>What this arena has borrowed from one frozen arena: where each of its tensors' view lives here, and
    /// the oldest live view (the frozen arena stays pinned until that one is released: slots are released from the
    /// top, so every later view goes with it).</summary>
    private sealed class BorrowSource
    {
        public Arena? Source;           // null when not pinned (the record is kept for reuse)
        public int[] LocalSlot = [];    // indexed by the source's slot
        public ulong[] LocalGeneration = [];
        public ulong[] SourceGeneration = [];
        public int OldestSlot = -1;
        public ulong OldestGeneration;
    }

    /// <summary>Whether the arena is frozen (<see cref="Freeze"/>): read-only, owned by no thread, and used only through
    /// views that other arenas borrow (<see cref="Borrow(Tensor)"/>). May be read from any thread.</summary>
    public bool IsFrozen => Volatile.Read(ref _ownerThread) == FrozenOwner;

    /// <summary>How many arenas hold views borrowed from this frozen arena now (0 when it is not frozen). While it is
    /// above 0, <see cref="Unfreeze"/> and <see cref="Dispose"/> are refused. May be read from any thread.</summary>
    public int BorrowerCount => Math.Max(Volatile.Read(ref _borrowers), 0);

    /// <summary>Makes the arena read-only and shareable: no new tensors, no in-place changes, no backward, no scopes,
    /// and no direct use of its tensors from any thread (each throws, saying how to borrow). Other arenas, on any
    /// threads, then use its tensors without copying them, through <see cref="Borrow(Tensor)"/> and
    /// <see cref="BorrowAll"/>. Freezing a frozen arena does nothing.</summary>
    /// <remarks>Typical use: train or load a model in one arena, freeze it, and let each worker thread run inference in
    /// its own (or a pooled) arena that borrows the parameters. Reading shared memory from many threads is safe because
    /// nothing writes it while it is frozen; <see cref="Unfreeze"/> waits for no one: it is refused while borrowed.</remarks>
    /// <exception cref="InvalidOperationException">Another thread owns the arena, or a scope is open (its end would
    /// change a frozen arena).</exception>
    /// <exception cref="ObjectDisposedException">The arena was disposed.</exception>
    public void Freeze()
    {
        if (IsFrozen) return;
        CheckUse();
        if (_openScopes.Count > 0)
            throw new InvalidOperationException(
                $"Freeze is refused while an arena scope is open ({_openScopes.Count} open): ending it would change the frozen arena. " +
                "Freeze the arena outside every scope.");
        Volatile.Write(ref _borrowers, 0);
        Interlocked.Exchange(ref _ownerThread, FrozenOwner); // publishes every write made so far to the borrowers
    }

    /// <summary>Makes a frozen arena ordinary again, owned by the calling thread (any thread may unfreeze it). Does
    /// nothing to an arena that is not frozen, beyond checking that this thread may use it.</summary>
    /// <exception cref="InvalidOperationException">Other arenas still hold views borrowed from it (they are released
    /// when the scope they were made in ends, or when the borrowing arena is reset, returned to its pool or disposed).</exception>
    public void Unfreeze()
    {
        if (Volatile.Read(ref _ownerThread) != FrozenOwner)
        {
            CheckUse();
            return;
        }
        int borrowers = Interlocked.CompareExchange(ref _borrowers, -1, 0);
        if (borrowers > 0)
            throw new InvalidOperationException(
                $"This arena cannot be unfrozen (or disposed) while {borrowers} arena(s) hold views borrowed from it: they read its memory. " +
                "Borrowed views are released when the scope they were made in ends, or when the borrowing arena is reset, returned to " +
                "its pool or disposed.");
        if (borrowers < 0)
        {
            CheckUse(); // another thread is unfreezing it at this moment: this use is refused as the arena's are
            return;
        }
        t_managedThreadId = Environment.CurrentManagedThreadId;
        Interlocked.Exchange(ref _ownerThread, t_managedThreadId);
    }

    /// <summary>A read-only view of <paramref name="frozenTensor"/>, a tensor of a frozen arena, in this arena: same shape
    /// and values, no copy (its values are the frozen arena's memory), no gradient. Made in the innermost open scope and
    /// released with it, like any tensor. While it lives, the frozen arena cannot be unfrozen or disposed.</summary>
    /// <remarks>
    /// <para>Ops of this arena take the view as an input as they take any tensor, and they also accept
    /// <paramref name="frozenTensor"/> itself as an input other than the first (a Linear layer's weight, the right
    /// operand of a sum) while its view lives: that is how a module whose parameters live in a frozen arena runs in
    /// this one (see <see cref="BorrowAll"/>). The first input of an op decides the arena it runs in, so it must be a
    /// tensor of this arena.</para>
    /// <para>The view, and every view of it (<c>Reshape</c>, <c>Detach</c>), refuses in-place changes and
    /// requires_grad. Ops on it record as on any tensor that needs no gradient: backward can still compute gradients
    /// of this arena's own tensors through it. <see cref="Tensor.AsSpanUnsafely"/> on it gives the shared memory:
    /// never write through it.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">The tensor's arena is not frozen, or the tensor was released.</exception>
    /// <exception cref="ArgumentException">The tensor belongs to this arena.</exception>
    /// <exception cref="ArenaCapacityException">The table cannot grow (a view takes no float memory).</exception>
    public Tensor Borrow(Tensor frozenTensor)
    {
        CheckUse();
        return Handle(BorrowSlot(frozenTensor));
    }

    /// <summary>Borrows every tensor of <paramref name="frozenTensors"/> (see <see cref="Borrow(Tensor)"/>), all or
    /// none, so that ops of this arena accept them as inputs. With a module's parameters, the module runs here:
    /// <c>arena.BorrowAll(model.Parameters()); Tensor y = model.Forward(x);</c> for x a tensor of this arena.</summary>
    /// <remarks>Borrow outside any scope to keep the views for the arena's life (until it is reset or returned to its
    /// pool), or inside a step's scope to release them, and the frozen arena's pin, when the step ends.</remarks>
    /// <exception cref="InvalidOperationException">A tensor's arena is not frozen, or a tensor was released.</exception>
    /// <exception cref="ArgumentException">A tensor belongs to this arena.</exception>
    public void BorrowAll(IReadOnlyList<Tensor> frozenTensors)
    {
        ArgumentNullException.ThrowIfNull(frozenTensors);
        OpTransaction op = BeginOp();
        try
        {
            for (int i = 0; i < frozenTensors.Count; i++) BorrowSlot(frozenTensors[i]);
            op.Commit();
        }
        finally
        {
            op.Dispose();
            ReleaseDeadBorrows(); // after a rollback: unpin what no surviving view needs
        }
    }

    private int BorrowSlot(Tensor frozenTensor)
    {
        Arena? source = frozenTensor.Owner;
        if (source is null) _ = frozenTensor.Slot; // default(Tensor): throws its message
        if (ReferenceEquals(source, this))
            throw new ArgumentException("Borrow expects a tensor of another, frozen arena, but this tensor belongs to this arena.", nameof(frozenTensor));
        BorrowSource record = Pin(source!, out bool newlyPinned);
        try
        {
            int sourceSlot = frozenTensor.RawSlot;
            ulong sourceGeneration = frozenTensor.RawGeneration;
            // Reading the source's tables from this thread is safe: it is frozen, and pinned so that it stays so.
            if ((uint)sourceSlot >= (uint)source!._slotCount || source._rows[sourceSlot].Generation != sourceGeneration)
                throw new InvalidOperationException(
                    $"This tensor (slot {sourceSlot}, generation {sourceGeneration}) was released before its arena was frozen, so it cannot be borrowed.");
            int slot = NewSlot(source.ShapeOf(sourceSlot), source.DTypeOf(sourceSlot), sharedValues: source._rows[sourceSlot].Values);
            ulong generation = _rows[slot].Generation;
            MarkReadOnly(slot, generation);
            record.LocalSlot[sourceSlot] = slot;
            record.LocalGeneration[sourceSlot] = generation;
            record.SourceGeneration[sourceSlot] = sourceGeneration;
            if (!IsLiveSlot(record.OldestSlot, record.OldestGeneration))
            {
                record.OldestSlot = slot;
                record.OldestGeneration = generation;
            }
            return slot;
        }
        catch
        {
            if (newlyPinned) Unpin(record);
            throw;
        }
    }

    /// <summary>The record of what this arena borrows from <paramref name="source"/>, pinning the source first if no
    /// view of it lives here.</summary>
    private BorrowSource Pin(Arena source, out bool newlyPinned)
    {
        newlyPinned = false;
        _borrowSources ??= [];
        BorrowSource? free = null;
        foreach (BorrowSource candidate in _borrowSources)
        {
            if (ReferenceEquals(candidate.Source, source)) return candidate;
            if (candidate.Source is null) free ??= candidate;
        }
        int seen = Volatile.Read(ref source._borrowers);
        while (true)
        {
            if (seen < 0)
            {
                ObjectDisposedException.ThrowIf(source.IsDisposed, source);
                throw new InvalidOperationException(
                    "Borrow expects a tensor of a frozen arena, but its arena is not frozen. Call Freeze() on the arena that owns the " +
                    "tensor (on its thread) first; tensors of an arena that is not frozen can be used by its own thread only.");
            }
            int previous = Interlocked.CompareExchange(ref source._borrowers, seen + 1, seen);
            if (previous == seen) break;
            seen = previous;
        }
        BorrowSource record = free ?? new BorrowSource();
        if (free is null) _borrowSources.Add(record);
        int slots = source._slotCount; // fixed while frozen
        if (record.LocalSlot.Length < slots)
        {
            record.LocalSlot = new int[slots];
            record.LocalGeneration = new ulong[slots];
            record.SourceGeneration = new ulong[slots];
        }
        else
        {
            Array.Clear(record.LocalGeneration);
            Array.Clear(record.SourceGeneration);
        }
        record.Source = source;
        record.OldestSlot = -1;
        _pinnedSources++;
        newlyPinned = true;
        return record;
    }

    private void Unpin(BorrowSource record)
    {
        Interlocked.Decrement(ref record.Source!._borrowers);
        record.Source = null;
        _pinnedSources--;
    }

    /// <summary>Unpins every frozen arena whose views here have all been released.</summary>
    private void ReleaseDeadBorrows()
    {
        if (_pinnedSources == 0) return;
        foreach (BorrowSource record in _borrowSources!)
            if (record.Source is not null && !IsLiveSlot(record.OldestSlot, record.OldestGeneration)) Unpin(record);
    }

    /// <summary>Unpins every frozen arena (reset, dispose). The views themselves are released by the caller.</summary>
    private void ReleaseAllBorrows()
    {
        if (_pinnedSources == 0) return;
        foreach (BorrowSource record in _borrowSources!)
            if (record.Source is not null) Unpin(record);
    }

    private bool IsLiveSlot(int slot, ulong generation) =>
        (uint)slot < (uint)_slotCount && _rows[slot].Generation == generation;

    /// <summary>The slot of a tensor of another arena used as an op input: its borrowed view here, or an exception.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ForeignSlot(Tensor tensor)
    {
        Arena? source = tensor.Owner;
        if (source is not null && _pinnedSources > 0)
        {
            foreach (BorrowSource record in _borrowSources!)
            {
                if (!ReferenceEquals(record.Source, source)) continue;
                int sourceSlot = tensor.RawSlot;
                if ((uint)sourceSlot < (uint)record.LocalSlot.Length && record.SourceGeneration[sourceSlot] == tensor.RawGeneration
                    && IsLiveSlot(record.LocalSlot[sourceSlot], record.LocalGeneration[sourceSlot]))
                    return record.LocalSlot[sourceSlot];
                break;
            }
        }
        _ = tensor.Slot; // default, released, another thread's, or frozen and not borrowed here: each throws its own message
        throw new ArgumentException("Expected a tensor of this arena, but got one made by another arena.");
    }

    private void MarkReadOnly(int slot, ulong generation)
    {
        if (slot >= _readOnlyGeneration.Length)
            Array.Resize(ref _readOnlyGeneration, Math.Max(slot + 1, Math.Max(16, _readOnlyGeneration.Length * 2)));
        _readOnlyGeneration[slot] = generation;
    }

    /// <summary>Whether <paramref name="slot"/> is a borrowed view, or a view of one (views share their base's version owner).</summary>
    internal bool IsReadOnly(int slot)
    {
        int owner = _details[slot].VersionOwner;
        ulong[] readOnly = _readOnlyGeneration;
        return (uint)owner < (uint)readOnly.Length && readOnly[owner] == _rows[owner].Generation;
    }

    /// <summary>Throws if <paramref name="slot"/> is read-only (<see cref="IsReadOnly"/>); <paramref name="what"/>
    /// completes "cannot be ...".</summary>
    internal void ThrowIfReadOnly(int slot, string what)
    {
        if (IsReadOnly(slot)) ThrowReadOnly(what);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowReadOnly(string what) => throw new InvalidOperationException(
        $"This tensor is a read-only view borrowed from a frozen arena (its values are shared, possibly with other threads), so it cannot be {what}. " +
        "Copy it into a tensor of this arena first: arena.Zeros(shape).CopyFrom(view).");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFrozenOrPooled(int owner)
    {
        if (owner == FrozenOwner)
            throw new InvalidOperationException(
                "This arena is frozen: it is read-only and shared, and its tensors are used only through views borrowed into other arenas " +
                "(otherArena.Borrow(tensor), or otherArena.BorrowAll(model.Parameters()) to run a module there), from any thread. " +
                "Call Unfreeze() to use it directly again.");
        throw new InvalidOperationException(
            "This arena was returned to its ArenaPool: every tensor of it was released and another thread may rent it. " +
            "Rent an arena again (pool.Rent()) instead of keeping one after Return.");
    }

    /// <summary>Before Dispose: a frozen arena unfreezes (refused while borrowed), a pooled one is claimed by the
    /// disposing thread (the pool disposing what it keeps), and this arena's own borrows are released.</summary>
    private void PrepareDispose()
    {
        int owner = Volatile.Read(ref _ownerThread);
        if (owner == FrozenOwner) Unfreeze();
        else if (owner == PooledOwner) Interlocked.CompareExchange(ref _ownerThread, Unowned, PooledOwner);
        CheckUse();
        ReleaseAllBorrows();
    }
}
