using System.Threading;
using Microsoft.Extensions.ObjectPool;

namespace ArenaGrad;

/// <summary>
/// A thread-safe pool of arenas (on Microsoft.Extensions.ObjectPool): rent one per request, agent or job, on any
/// thread, and return it when done; it comes back reset. After warm-up, renting and returning allocate no managed
/// memory and, within <see cref="ArenaPoolPolicy.MaxRetainedBytes"/>, no native memory.
/// </summary>
/// <remarks>
/// <para><see cref="Rent"/> hands out an arena owned by the calling thread, in the state of a new arena made with
/// <see cref="ArenaPoolPolicy.ArenaOptions"/> (see <see cref="Arena.Reset"/>): no tensors, grad mode on, anomaly mode
/// off, generator freshly seeded. Its blocks may be kept from earlier rentals, so it reserves nothing in the steady state.
/// To use it on another thread, call <see cref="Arena.ReleaseOwnership"/> as for any arena.</para>
/// <para><see cref="Return"/> resets the arena (releasing every tensor, tape entry, gradient and borrowed view), bounds
/// what it keeps by the policy, gives up its ownership and stores it, or disposes it when the pool is full. A returned
/// arena must not be used again: a use through a reference kept after returning it throws until the pool rents it out,
/// and tensors made before the return stay released. Returning a disposed arena is allowed: it is dropped.</para>
/// <para>Dispose the pool to dispose the arenas it keeps; arenas returned later are disposed on return.</para>
/// </remarks>
public sealed class ArenaPool : IDisposable
{
    private readonly ObjectPool<Arena> _pool;
    private volatile bool _disposed;

    /// <summary>A pool with the default <see cref="ArenaPoolPolicy"/>.</summary>
    public ArenaPool() : this(new ArenaPoolPolicy()) { }

    /// <summary>A pool that makes, keeps and trims arenas as <paramref name="policy"/> says.</summary>
    public ArenaPool(ArenaPoolPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
        // DefaultObjectPoolProvider gives a DisposableObjectPool for IDisposable items: it disposes arenas it does not keep.
        _pool = new DefaultObjectPoolProvider { MaximumRetained = policy.MaximumRetained }.Create(new ResettingPolicy(policy));
    }

    /// <summary>What this pool makes and keeps.</summary>
    public ArenaPoolPolicy Policy { get; }

    /// <summary>An arena for the calling thread: a kept one if any (reset when it was returned), else a new one.</summary>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public Arena Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            Arena arena = _pool.Get();
            if (!arena.TryClaimFromPool()) continue; // disposed while pooled, through a reference kept after Return: dropped
            Volatile.Write(ref arena.RentedFrom, this);
            return arena;
        }
    }

    /// <summary>Gives back an arena rented from this pool: it is reset (<see cref="Arena.Reset"/>), trimmed to the policy,
    /// and kept for the next <see cref="Rent"/>, or disposed when the pool already keeps
    /// <see cref="ArenaPoolPolicy.MaximumRetained"/> arenas or has been disposed. A disposed arena is dropped.</summary>
    /// <remarks>Call it on the thread that owns the arena (or after <see cref="Arena.ReleaseOwnership"/>). When it
    /// throws, the arena is still rented and unchanged: fix the cause (end the scopes) and return it again.</remarks>
    /// <exception cref="ArgumentException">The arena was not rented from this pool, or was returned already.</exception>
    /// <exception cref="InvalidOperationException">An arena scope is still open, the arena is frozen, or another thread owns it.</exception>
    public void Return(Arena arena)
    {
        ArgumentNullException.ThrowIfNull(arena);
        ArenaPool? rentedFrom = Interlocked.CompareExchange(ref arena.RentedFrom, null, this);
        if (!ReferenceEquals(rentedFrom, this))
            throw new ArgumentException(rentedFrom is null
                ? "This arena is not rented from this pool: it was never rented from it, or it was returned already."
                : "This arena was rented from another ArenaPool: return it to that pool.", nameof(arena));
        if (arena.IsDisposed) return; // disposed by the renter: nothing to keep
        try
        {
            _pool.Return(arena); // the policy resets it (or throws, before anything changed)
        }
        catch
        {
            Volatile.Write(ref arena.RentedFrom, this);
            throw;
        }
    }

    /// <summary>Disposes every arena the pool keeps; arenas still rented are disposed when returned.</summary>
    public void Dispose()
    {
        _disposed = true;
        ((IDisposable)_pool).Dispose();
    }

    /// <summary>Makes arenas with the policy's options and resets those returned (ObjectPool calls it on Return).</summary>
    private sealed class ResettingPolicy(ArenaPoolPolicy policy) : PooledObjectPolicy<Arena>
    {
        public override Arena Create() => new(policy.ArenaOptions);

        public override bool Return(Arena obj)
        {
            obj.Reset();
            if (obj.ReservedBytes > policy.MaxRetainedBytes)
            {
                if (!policy.TrimOversized) return false; // the pool disposes it (on this thread, which owns it)
                obj.TrimReservedBytes(policy.MaxRetainedBytes);
            }
            obj.MarkPooled();
            return true;
        }
    }
}
