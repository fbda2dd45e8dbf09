using System;
using System.Diagnostics;

namespace ArenaGrad.Tools;

/// <summary>
/// Times each step of a loop and counts the managed bytes it allocated on this thread, skipping the warm-up steps
/// (they compile code and grow the arena's blocks). Bracket only the step with <see cref="Begin"/> and
/// <see cref="End"/>, so drawing and logging stay out of the figures.
/// </summary>
internal struct StepMeter
{
    private readonly int _warmUp;
    private long _bytesBefore, _before;

    /// <summary>A meter that ignores steps 0 .. <paramref name="warmUp"/> − 1.</summary>
    public StepMeter(int warmUp) => _warmUp = warmUp;

    /// <summary>Managed bytes allocated by the measured steps.</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Stopwatch ticks spent in the measured steps.</summary>
    public long Ticks { get; private set; }

    /// <summary>Call right before the step.</summary>
    public void Begin()
    {
        _bytesBefore = GC.GetAllocatedBytesForCurrentThread();
        _before = Stopwatch.GetTimestamp();
    }

    /// <summary>Call right after step <paramref name="step"/>; returns the timestamp it ended at.</summary>
    public long End(int step)
    {
        long after = Stopwatch.GetTimestamp();
        long bytesAfter = GC.GetAllocatedBytesForCurrentThread();
        if (step >= _warmUp)
        {
            AllocatedBytes += bytesAfter - _bytesBefore;
            Ticks += after - _before;
        }
        return after;
    }

    /// <summary>Measured steps per second and managed bytes per measured step (NaN when no step was measured).</summary>
    public readonly (double StepsPerSecond, double BytesPerStep) Rates(int steps)
    {
        int measured = steps - _warmUp;
        return measured > 0
            ? (measured / ((double)Ticks / Stopwatch.Frequency), (double)AllocatedBytes / measured)
            : (double.NaN, double.NaN);
    }
}
