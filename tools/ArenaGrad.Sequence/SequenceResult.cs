using System.Collections.Generic;

namespace ArenaGrad.Sequence;

/// <summary>What a run learned and measured.</summary>
internal sealed record SequenceResult(
    float[] Losses,
    double OneStepError,
    double PersistenceError,
    int ValidSteps,
    double ValidLyapunovTimes,
    float[] TrueFree,
    float[] PredictedFree,
    double StepsPerSecond,
    int MeasuredSteps,
    double ManagedBytesPerStep,
    double ManagedBytesPerFreeStep,
    int GcCollections,
    long ReservedBytes,
    IReadOnlyList<string> Files)
{
    /// <summary>0 when the run finished with a finite loss, 1 when training diverged.</summary>
    public int ExitCode => float.IsFinite(Losses[^1]) && double.IsFinite(OneStepError) ? 0 : 1;
}
