using System.Threading;
using ArenaGrad.Memory;

namespace ArenaGrad;

// Reset and the handover protocol ArenaPool relies on.
public sealed partial class Arena
{
    /// <summary>The pool this arena is rented from now; null while it sits in a pool, and for arenas never rented.</summary>
    internal ArenaPool? RentedFrom;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    internal bool IsDisposed => Volatile.Read(ref _ownerThread) == DisposedOwner;

    /// <summary>Puts the arena back in the state of a new arena made with the same <see cref="Options"/>, keeping its native
    /// blocks for reuse: every tensor, tape entry and gradient is released, views borrowed from frozen arenas are released
    /// (unpinning them), grad mode is on, anomaly mode off, the generator is reseeded from <see cref="ArenaOptions.Seed"/>,
    /// and the high-water mark of <see cref="Statistics"/> starts again. O(1) apart from the borrows.</summary>
    /// <remarks>Handles made before the reset throw when used, as released handles do. A grad-mode or anomaly-mode scope
    /// still open is not tracked: disposing it afterwards sets the mode it saved, so end those scopes first.</remarks>
    /// <exception cref="InvalidOperationException">An arena scope is open (ending it later would rewind the reset arena),
    /// the arena is frozen, or another thread owns it.</exception>
    /// <exception cref="ObjectDisposedException">The arena was disposed.</exception>
    public void Reset()
    {
        CheckUse();
        if (_openScopes.Count > 0)
            throw new InvalidOperationException(
                $"Reset (or returning the arena to its pool) is refused while an arena scope is open ({_openScopes.Count} open): dispose " +
                "the scopes first, innermost first.");
        ReleaseAllBorrows();
        _floats.Rewind(default);
        _floats.ResetPeak();
        RewindTables(0, 0, 0, 0);
        IsGradEnabled = true;
        _detectAnomaly = false;
        _callSites?.Clear();
        _random = new Xoshiro256(Options.Seed);
        LastBackwardInstructionCount = 0;
    }

    /// <summary>Frees kept blocks that hold nothing until <see cref="ReservedBytes"/> is at most
    /// <paramref name="maxReservedBytes"/> (or no empty block is left). After <see cref="Reset"/> every block is empty.</summary>
    internal void TrimReservedBytes(long maxReservedBytes)
    {
        CheckUse();
        _floats.TrimFreeBlocks(maxReservedBytes);
    }

    /// <summary>Hands the (reset) arena to its pool: no thread owns it, and a use through a reference kept after
    /// returning it throws until the pool rents it out again.</summary>
    internal void MarkPooled()
    {
        CheckUse();
        Interlocked.Exchange(ref _ownerThread, PooledOwner);
    }

    /// <summary>Claims an arena the pool hands out for the calling thread. False if it was disposed while pooled.</summary>
    internal bool TryClaimFromPool()
    {
        int current = t_managedThreadId = Environment.CurrentManagedThreadId;
        int owner = Interlocked.CompareExchange(ref _ownerThread, current, PooledOwner);
        return owner == PooledOwner || owner == current; // a new arena is owned by the thread that made it: Rent's
    }
}
