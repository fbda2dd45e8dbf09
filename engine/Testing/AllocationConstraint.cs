using System.Globalization;
using NUnit.Framework.Constraints;

namespace ArenaGrad.Testing;

/// <summary>
/// An NUnit constraint on what calling a delegate allocates: <see cref="Allocates.Nothing"/>,
/// <see cref="Allocates.AtMost"/>, <see cref="Allocates.NoNativeGrowth"/>.
/// </summary>
/// <remarks>
/// <para>The actual value is the delegate: <c>Assert.That(() =&gt; Step(), Allocates.Nothing)</c> with an
/// <see cref="Action"/> or a <see cref="Func{TResult}"/> (its result is dropped), as NUnit's <c>Throws</c> takes one.
/// The delegate is called many times on the calling thread, so it must be repeatable: put a training step's
/// tensors in <c>arena.Scope()</c>.</para>
/// <para>The procedure:</para>
/// <list type="number">
/// <item>Warm-up: the delegate runs at least 100 times (<see cref="WithWarmup(int)"/>), so lazy initialisation,
/// first-call JIT compilation and one-off growth happen before anything is measured; and, when the process
/// compiles methods in tiers, until the JIT has compiled no method for 200 ms (3 s at most,
/// <see cref="WithWarmup(int, TimeSpan)"/>), so the optimized code is what gets measured.</item>
/// <item>Measurement: 10 batches of 100 calls (<see cref="WithBatches"/>), with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> read around each batch: only the current thread's allocations
/// count, not the test runner's or the finalizer's. The verdict is on the largest batch, divided by its calls.</item>
/// <item>Self-checks: a batch that a garbage collection ran through does not count as clean and another batch is run
/// (up to four times the batches asked for), but its bytes are judged all the same; if too few batches stay clean
/// and none shows an allocation over the limit, the result is a failure saying the reading was unreliable, never a
/// pass. A failing reading taken while the JIT
/// was still compiling is warmed up and measured again. Once per process the kit measures a delegate that
/// allocates one 24-byte object per call; if its counter does not read that allocation, every managed check fails
/// as unreliable.</item>
/// </list>
/// <para>Every batch is judged, so an allocation made every Nth call fails the check whenever N is at most the
/// calls measured (1,000 by default): a batch that holds one reads more than 0. One-off work (a lazily filled
/// cache, a collection resized once) must therefore be done by the warm-up; an allocation rarer than once per
/// measured window is not seen: raise the batches or calls per batch to catch one, and use
/// <see cref="Allocates.NoNativeGrowth"/> for arena growth.</para>
/// <para>Build the test project with <c>&lt;Optimize&gt;true&lt;/Optimize&gt;</c>: unoptimized C# compiles span
/// collection expressions such as <c>arena.Zeros([3, 4])</c> into heap arrays.</para>
/// </remarks>
public abstract class AllocationConstraint : Constraint
{
    private protected AllocationConstraint() => Settings = AllocationSettings.Default;

    private protected AllocationSettings Settings { get; private set; }

    /// <summary>Warms up with at least <paramref name="calls"/> calls (default 100) before measuring.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="calls"/> is negative.</exception>
    public AllocationConstraint WithWarmup(int calls)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(calls);
        Settings = Settings with { WarmupCalls = calls };
        return this;
    }

    /// <summary>Warms up with at least <paramref name="calls"/> calls, and then until the JIT has compiled no method
    /// for <paramref name="jitQuietPeriod"/> (default 200 ms when methods are compiled in tiers, else 0), or until
    /// the warm-up has taken 3 s or 15 quiet periods, whichever is longer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="calls"/> or <paramref name="jitQuietPeriod"/>
    /// is negative.</exception>
    public AllocationConstraint WithWarmup(int calls, TimeSpan jitQuietPeriod)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(calls);
        ArgumentOutOfRangeException.ThrowIfLessThan(jitQuietPeriod, TimeSpan.Zero);
        TimeSpan maxWarmup = TimeSpan.FromSeconds(3) > jitQuietPeriod * 15 ? TimeSpan.FromSeconds(3) : jitQuietPeriod * 15;
        Settings = Settings with { WarmupCalls = calls, JitQuietPeriod = jitQuietPeriod, MaxWarmup = maxWarmup };
        return this;
    }

    /// <summary>Measures <paramref name="batches"/> batches (default 10) of <paramref name="callsPerBatch"/> calls
    /// (default 100) each.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Either count is less than 1.</exception>
    public AllocationConstraint WithBatches(int batches, int callsPerBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batches, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(callsPerBatch, 1);
        Settings = Settings with { Batches = batches, CallsPerBatch = callsPerBatch };
        return this;
    }

    /// <summary>Measures the delegate <paramref name="actual"/>: an <see cref="Action"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="actual"/> is not an <see cref="Action"/>.</exception>
    public override ConstraintResult ApplyTo<TActual>(TActual actual)
    {
        if (actual is Action call) return Measure(call, actual);
        throw new ArgumentException(
            $"Allocates constraints measure a delegate to call (an Action or a Func<T>, as in Assert.That(() => Step(), Allocates.Nothing)), but the actual value was {(actual is null ? "null" : actual.GetType().Name)}. Combined with & or |, pass an Action (a lambda with a statement body): NUnit calls a Func<T> once and hands its result to combined constraints.",
            nameof(actual));
    }

    /// <summary>Measures calls of <paramref name="code"/> (its result is dropped); unlike other constraints, not the
    /// value it returns.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="code"/> is null.</exception>
    public override ConstraintResult ApplyTo<TActual>(Func<TActual> code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return Measure(() => _ = code(), code); // one closure, made once: calling it allocates nothing
    }

    /// <summary>Refused: an async delegate's continuations run on other threads, where the current thread's
    /// counter cannot see them.</summary>
    /// <exception cref="ArgumentException">Always.</exception>
    public override Task<ConstraintResult> ApplyToAsync<TActual>(Func<Task<TActual>> taskDel) =>
        throw new ArgumentException(
            "Allocates constraints measure synchronous delegates only: an async delegate's continuations run on other threads, whose allocations the current thread's counter does not see.",
            nameof(taskDel));

    /// <summary>Warms <paramref name="call"/> up, measures it and judges the reading.</summary>
    private protected abstract ConstraintResult Measure(Action call, object actual);

    /// <summary>"24 B", "0.25 B", "1,048,576 B".</summary>
    private protected static string FormatBytes(double bytes) =>
        bytes.ToString(bytes == Math.Floor(bytes) ? "N0" : "N2", CultureInfo.InvariantCulture) + " B";
}

/// <summary>An allocation constraint's verdict, with the reading as the "But was" text.</summary>
internal sealed class AllocationConstraintResult(IConstraint constraint, object actual, bool isSuccess, string reading)
    : ConstraintResult(constraint, actual, isSuccess)
{
    /// <summary>What was measured, e.g. "24 B per call (largest of 10 batches of 100 calls, 1,000 calls measured; ...)".</summary>
    public string Reading { get; } = reading;

    public override void WriteActualValueTo(MessageWriter writer) => writer.Write(Reading);
}
