namespace ArenaGrad.Memory;

/// <summary>The thread-static cache of <see cref="Environment.CurrentManagedThreadId"/> that arenas compare their owner
/// against (see <see cref="Arena.CachedThreadId"/>). A class of its own, without a static constructor, so that reading
/// it is the runtime's cheapest thread-static access.</summary>
internal static class ThreadIdentity
{
    /// <summary>This thread's managed id, or 0 until an arena's slow path fills it.</summary>
    [ThreadStatic] internal static int ManagedId;
}
