namespace ArenaGrad.Capture;

/// <summary>What a captured step may not do, because a replay could not repeat it (see <see cref="Arena.ThrowIfCapturing"/>).</summary>
internal enum CaptureRefusal : byte
{
    /// <summary>Reading values to the host (Item, ToArray, CopyTo, spans): control flow could depend on them.</summary>
    HostRead,

    /// <summary>Drawing random numbers (random factories, dropout in training mode): a replay would reuse them.</summary>
    Random,

    /// <summary>Changing a tensor in place: replays run only the recorded ops.</summary>
    InPlace,

    /// <summary>Running backward inside the step: CaptureTraining runs it.</summary>
    Backward,

    /// <summary>Opening a scope inside the step: its tensors would die before the plan.</summary>
    Scope,

    /// <summary>Capturing or replaying a step inside a capture: captures do not nest.</summary>
    Nested,

    /// <summary>Applying a custom autograd function: its forward and backward are user code that a replay cannot run.</summary>
    CustomFunction,
}
