using System.Collections.Generic;

namespace ArenaGrad.Train;

/// <summary>What a training run measured and wrote.</summary>
/// <param name="FinalLoss">Cross-entropy of the trained model over the whole data set.</param>
/// <param name="Accuracy">Fraction of points the trained model classifies correctly.</param>
/// <param name="Losses">The loss of every step, in order.</param>
/// <param name="StepsPerSecond">Steps per second over the steps after warm-up, timing the steps alone.</param>
/// <param name="WallSeconds">The whole loop, progress display included.</param>
/// <param name="MeasuredSteps">Steps after warm-up, over which bytes and rate are measured.</param>
/// <param name="ManagedBytesPerStep">Managed bytes this thread allocated per step after warm-up.</param>
/// <param name="GcCollections">Garbage collections (any generation) while the loop ran.</param>
/// <param name="ReservedBytes">Native memory the arena holds at the end.</param>
/// <param name="Files">Files written, in order.</param>
/// <param name="ParametersSha256">SHA-256 of the trained parameters' bits in state-dict order: equal runs on any
/// instruction set, JIT or NativeAOT, give equal digests.</param>
internal sealed record TrainResult(
    float FinalLoss,
    float Accuracy,
    float[] Losses,
    double StepsPerSecond,
    double WallSeconds,
    int MeasuredSteps,
    double ManagedBytesPerStep,
    int GcCollections,
    long ReservedBytes,
    IReadOnlyList<string> Files,
    string ParametersSha256)
{
    /// <summary>0 when the loss is finite, 1 when training diverged.</summary>
    public int ExitCode => float.IsFinite(FinalLoss) ? 0 : 1;
}
