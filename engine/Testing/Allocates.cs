namespace ArenaGrad.Testing;

/// <summary>
/// Allocation constraints for NUnit: <c>Assert.That(() =&gt; Step(), Allocates.Nothing)</c>.
/// </summary>
/// <remarks>
/// <para>Each constraint takes the delegate under test (an <see cref="Action"/> or a <see cref="Func{TResult}"/>),
/// calls it through a warm-up until the JIT has settled, then measures repeated batches of calls on the current
/// thread; see <see cref="AllocationConstraint"/> for the procedure and how it checks itself.</para>
/// <para>Build the test project with <c>&lt;Optimize&gt;true&lt;/Optimize&gt;</c>: unoptimized C# compiles span
/// collection expressions such as <c>arena.Zeros([3, 4])</c> into heap arrays, so a Debug build measures
/// allocations the shipped Release code does not make.</para>
/// </remarks>
public static class Allocates
{
    /// <summary>The delegate allocates no managed bytes per call on the current thread, after warm-up
    /// (every measured batch reads 0).</summary>
    public static AllocationConstraint Nothing => new ManagedAllocationConstraint(0);

    /// <summary>The delegate allocates at most <paramref name="bytesPerCall"/> managed bytes per call on the current
    /// thread, after warm-up (the largest reading over the measured batches, divided by the calls in a batch).</summary>
    /// <param name="bytesPerCall">The allowed managed bytes per call; 0 is <see cref="Nothing"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytesPerCall"/> is negative.</exception>
    public static AllocationConstraint AtMost(long bytesPerCall)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerCall);
        return new ManagedAllocationConstraint(bytesPerCall);
    }

    /// <summary>After warm-up, calling the delegate reserves no new native memory in <paramref name="arena"/>:
    /// <see cref="Arena.BlockCount"/>, <see cref="Arena.ReservedBytes"/> and <see cref="Arena.TensorCount"/> are the
    /// same after the measured calls as before them.</summary>
    /// <remarks>The warm-up is the warm-up calls alone (which tier of compiled code runs does not change what the
    /// arena reserves). A step that makes its tensors inside <c>arena.Scope()</c> passes; one that makes a tensor outside
    /// any scope keeps it (and its tape entry) until the arena is disposed, and fails. Managed allocations are not
    /// looked at: combine with <see cref="Nothing"/> (<c>Allocates.Nothing &amp; Allocates.NoNativeGrowth(arena)</c>)
    /// for both.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="arena"/> is null.</exception>
    public static AllocationConstraint NoNativeGrowth(Arena arena)
    {
        ArgumentNullException.ThrowIfNull(arena);
        return new NativeGrowthConstraint(arena);
    }
}
