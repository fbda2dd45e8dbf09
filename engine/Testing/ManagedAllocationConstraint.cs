using System.Runtime.CompilerServices;
using NUnit.Framework.Constraints;

namespace ArenaGrad.Testing;

/// <summary><see cref="Allocates.Nothing"/> and <see cref="Allocates.AtMost"/>: managed bytes per call on the current
/// thread, judged on the largest of the measured batches, so an allocation made every few calls is seen.</summary>
internal sealed class ManagedAllocationConstraint : AllocationConstraint
{
    /// <summary>A failing or unreliable reading is warmed up and measured again this many times before it is
    /// reported.</summary>
    private const int Retries = 2;

    private readonly long _bytesPerCall;

    public ManagedAllocationConstraint(long bytesPerCall) => _bytesPerCall = bytesPerCall;

    public override string Description => _bytesPerCall == 0
        ? "no managed bytes allocated per call (current thread, after warm-up)"
        : $"at most {FormatBytes(_bytesPerCall)} of managed allocation per call (current thread, after warm-up)";

    private protected override ConstraintResult Measure(Action call, object actual)
    {
        string? counterProblem = CounterSelfCheck.Problem();
        if (counterProblem is not null)
            return new AllocationConstraintResult(this, actual, false, "unreliable: " + counterProblem);

        AllocationSettings settings = Settings;
        WarmupReport warmup = default;
        ManagedReading reading = default;
        int tries = 0;
        bool reliable = false, over = false;
        for (; tries <= Retries; tries++)
        {
            warmup = AllocationMeter.WarmUp(call, settings);
            reading = AllocationMeter.MeasureManaged(call, settings);
            reliable = reading.CleanBatches >= settings.Batches;
            over = reading.MaxBytesPerCall > _bytesPerCall;
            if (over ? !reading.JitCompiledDuring : reliable) break; // a pass, or a failure measured with the JIT quiet
        }
        tries = Math.Min(tries + 1, Retries + 1);

        string batches = $"{reading.BatchesRun} batches of {reading.CallsPerBatch} calls, {reading.CallsMeasured:N0} calls measured";
        string notes = Notes(reading, warmup, settings, tries);
        if (!over && !reliable)
            return new AllocationConstraintResult(this, actual, false,
                $"unreliable: only {reading.CleanBatches} of {reading.BatchesRun} batches of {reading.CallsPerBatch} calls ran without a garbage "
                + $"collection, {settings.Batches} were needed (largest {FormatBytes(reading.MaxBytesPerCall)} per call, "
                + $"{reading.CallsMeasured:N0} calls measured){notes}");
        return new AllocationConstraintResult(this, actual, !over,
            $"{FormatBytes(reading.MaxBytesPerCall)} per call (largest of {batches}; {reading.AllocatingBatches} of "
            + $"{reading.BatchesRun} batches allocated, the smallest {FormatBytes(reading.MinBytesPerCall)} per call){notes}");
    }

    private static string Notes(in ManagedReading reading, in WarmupReport warmup, in AllocationSettings settings, int tries)
    {
        string notes = $"; warm-up {warmup.Calls:N0} calls";
        if (!warmup.JitSettled) notes += $", the JIT still compiling after {warmup.Elapsed.TotalSeconds:0.#} s";
        if (reading.DisturbedBatches > 0) notes += $"; {reading.DisturbedBatches} batches set aside, a garbage collection ran through them";
        if (reading.JitCompiledDuring) notes += "; the JIT compiled methods during the measurement";
        if (tries > 1) notes += $"; measured {tries} times";
        return notes;
    }
}

/// <summary>Once per process: does <see cref="GC.GetAllocatedBytesForCurrentThread"/> see an allocation of one
/// object per call, measured the way the constraints measure? If not, no reading of 0 can be trusted.</summary>
internal static class CounterSelfCheck
{
    // Stored to a static so the object escapes: the JIT may otherwise allocate it on the stack.
    private static object? s_sink;
    private static string? s_problem;
    private static int s_state; // 0 not run, 1 done

    /// <summary>Null when the counter read the probe's allocation, else what went wrong.</summary>
    public static string? Problem()
    {
        if (Volatile.Read(ref s_state) == 1) return s_problem;
        s_problem = Run();
        Volatile.Write(ref s_state, 1);
        return s_problem;
    }

    private static string? Run()
    {
        // An object with no fields: header, method table pointer and one pointer-sized slot (24 B on 64-bit).
        long objectBytes = 3L * IntPtr.Size;
        Action probe = AllocateOneObject;
        AllocationSettings settings = AllocationSettings.Default with { Batches = 3 };
        AllocationMeter.WarmUp(probe, settings);
        ManagedReading reading = AllocationMeter.MeasureManaged(probe, settings);
        s_sink = null;
        return reading.MinBytesPerCall >= objectBytes ? null
            : $"the current thread's allocation counter read {reading.MinBytesPerCall:0.##} B per call for a delegate that allocates "
              + $"a {objectBytes} B object per call, so a reading of 0 would prove nothing";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AllocateOneObject() => s_sink = new object();
}
