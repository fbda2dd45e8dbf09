using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// The trace: while it runs, every op appends its instruction here, whether or not it went on the tape. The tape only
// holds what backward needs (ops on tensors that require grad); captured steps replay the whole forward and graph
// pictures draw the frozen parts too, so both read the trace. Off, it costs one predictable branch per op.
public sealed unsafe partial class Arena
{
    private bool _tracing;
    private NativeList<TracedOp> _trace;

    /// <summary>Whether ops are being traced (see <see cref="BeginTrace"/>).</summary>
    internal bool IsTracing => _tracing;

    /// <summary>The ops traced since <see cref="BeginTrace"/>, oldest first.</summary>
    internal ReadOnlySpan<TracedOp> TracedOps => _trace.AsSpan();

    /// <summary>Starts a trace, forgetting the previous one. Traces do not nest.</summary>
    internal void BeginTrace()
    {
        CheckUse();
        if (_tracing) throw new InvalidOperationException("A trace is already running on this arena; traces do not nest.");
        _trace.Count = 0;
        _tracing = true;
    }

    /// <summary>Stops the trace; <see cref="TracedOps"/> keeps what it saw until the next <see cref="BeginTrace"/>.</summary>
    internal void EndTrace() => _tracing = false;

    /// <summary>Puts <paramref name="instruction"/> on the tape when <paramref name="onTape"/>, and in the trace when
    /// one runs. Every op ends with this call, after its result is complete.</summary>
    internal void Record(in Instruction instruction, bool onTape)
    {
        int tapeIndex = onTape ? Record(instruction) : -1;
        if (_tracing) _trace.Add(new TracedOp(onTape ? _tape[tapeIndex] : instruction, tapeIndex));
    }
}

/// <summary>One traced op: its instruction (operands as on the tape) and where it sits on the tape, -1 if it was not
/// recorded there (no input required grad, or grad mode was off).</summary>
internal readonly struct TracedOp(Instruction instruction, int tapeIndex)
{
    /// <summary>What ran: opcode, slots, attributes. Versions are only stamped when <see cref="TapeIndex"/> ≥ 0.</summary>
    public readonly Instruction Instruction = instruction;

    /// <summary>Index of the same instruction on the tape, or -1.</summary>
    public readonly int TapeIndex = tapeIndex;
}
