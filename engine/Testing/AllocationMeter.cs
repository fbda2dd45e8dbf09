using System.Diagnostics;
using System.Runtime;

namespace ArenaGrad.Testing;

/// <summary>What a warm-up did: how many calls, and whether the JIT went quiet before the time limit.</summary>
internal readonly record struct WarmupReport(int Calls, bool JitSettled, TimeSpan Elapsed);

/// <summary>
/// Managed bytes allocated by repeated batches of calls on the current thread: the largest batch ("worst"), the
/// smallest, and how many batches allocated at all. Every batch counts toward the largest, whether or not a garbage
/// collection ran through it ("clean" or "disturbed"): the current thread's counter is exact across a collection,
/// and the batch that allocates now and then is often the very one that triggers a collection.
/// </summary>
internal readonly record struct ManagedReading(
    long MaxBatchBytes, long MinBatchBytes, int AllocatingBatches, int CleanBatches, int DisturbedBatches,
    int CallsPerBatch, bool JitCompiledDuring)
{
    public int BatchesRun => CleanBatches + DisturbedBatches;
    public long CallsMeasured => (long)BatchesRun * CallsPerBatch;
    public double MaxBytesPerCall => (double)MaxBatchBytes / CallsPerBatch;
    public double MinBytesPerCall => (double)MinBatchBytes / CallsPerBatch;
}

/// <summary>The measuring loops. Nothing here allocates between the two counter reads of a batch.</summary>
internal static class AllocationMeter
{
    /// <summary>Calls <paramref name="call"/> at least <see cref="AllocationSettings.WarmupCalls"/> times, and until
    /// the JIT (process-wide) has compiled no method for <see cref="AllocationSettings.JitQuietPeriod"/>, or until
    /// <see cref="AllocationSettings.MaxWarmup"/> has passed (a zero <see cref="AllocationSettings.MaxWarmup"/>:
    /// exactly the warm-up calls).</summary>
    /// <remarks>Under tiered compilation a method first runs as unoptimized tier-0 code, which may allocate where
    /// the optimized tier-1 code does not (tier 1 stack-allocates objects and boxes that do not escape); tier 1 is
    /// compiled on a background thread some time after the method has become hot, so the warm-up waits for the
    /// JIT to go quiet rather than counting calls alone.</remarks>
    public static WarmupReport WarmUp(Action call, in AllocationSettings settings)
    {
        long start = Stopwatch.GetTimestamp();
        long lastCompile = start;
        long compiled = JitInfo.GetCompiledMethodCount(currentThread: false);
        int calls = 0, callsSinceCompile = 0;
        while (true)
        {
            call();
            calls++;
            callsSinceCompile++;
            long now = Stopwatch.GetTimestamp();
            long compiledNow = JitInfo.GetCompiledMethodCount(currentThread: false);
            if (compiledNow != compiled)
            {
                compiled = compiledNow;
                lastCompile = now;
                callsSinceCompile = 0;
            }
            if (calls < settings.WarmupCalls) continue;
            if (settings.MaxWarmup == TimeSpan.Zero) return new WarmupReport(calls, JitSettled: callsSinceCompile > 0, Stopwatch.GetElapsedTime(start, now));
            // Quiet: at least one whole call, and the quiet period, without a method compiled anywhere.
            if (callsSinceCompile > 0 && Stopwatch.GetElapsedTime(lastCompile, now) >= settings.JitQuietPeriod)
                return new WarmupReport(calls, JitSettled: true, Stopwatch.GetElapsedTime(start, now));
            if (Stopwatch.GetElapsedTime(start, now) >= settings.MaxWarmup)
                return new WarmupReport(calls, JitSettled: false, Stopwatch.GetElapsedTime(start, now));
        }
    }

    /// <summary>Runs batches of <see cref="AllocationSettings.CallsPerBatch"/> calls until
    /// <see cref="AllocationSettings.Batches"/> of them ran without a garbage collection, or four times that many
    /// batches were run; reads <see cref="GC.GetAllocatedBytesForCurrentThread"/> around each batch.</summary>
    /// <remarks>A batch a collection ran through does not count toward the clean batches a pass needs (a collection
    /// means something allocated enough to trigger one, and the runtime may have done its own work meanwhile), but
    /// its bytes are judged like any other's: an allocation made every few hundred calls is likely to be what
    /// triggered the collection, and setting that batch aside would hide it.</remarks>
    public static ManagedReading MeasureManaged(Action call, in AllocationSettings settings)
    {
        long maxBytes = 0, minBytes = long.MaxValue;
        int clean = 0, disturbed = 0, allocating = 0, callsPerBatch = settings.CallsPerBatch, maxRuns = settings.Batches * 4;
        long compiledBefore = JitInfo.GetCompiledMethodCount(currentThread: false);
        while (clean < settings.Batches && clean + disturbed < maxRuns)
        {
            int collections = CollectionCount();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < callsPerBatch; i++) call();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            bool collected = CollectionCount() != collections;

            if (collected) disturbed++;
            else clean++;
            if (bytes > 0) allocating++;
            maxBytes = Math.Max(maxBytes, bytes);
            minBytes = Math.Min(minBytes, bytes);
        }
        bool jitCompiled = JitInfo.GetCompiledMethodCount(currentThread: false) != compiledBefore;
        return new ManagedReading(maxBytes, minBytes, allocating, clean, disturbed, callsPerBatch, jitCompiled);
    }

    private static int CollectionCount() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
}
