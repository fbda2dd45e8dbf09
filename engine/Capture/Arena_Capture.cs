using System.Runtime.CompilerServices;
using ArenaGrad.Capture;
using ArenaGrad.Optim;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Captured steps: run a step once eagerly under a trace, keep the traced instructions, and replay them later into the
// same slots with no dispatch, validation or allocation (see CapturedStep).
public sealed unsafe partial class Arena
{
    private bool _capturing;

    /// <summary>Records an inference step: runs <paramref name="forward"/> on <paramref name="input"/> once (eagerly, so the
    /// capture's own result is eager mode's) and keeps its ops as a plan that <see cref="CapturedStep.Run"/> replays with new
    /// input values (<c>torch.jit.trace</c> or a CUDA graph, but bitwise exact).</summary>
    /// <remarks>The step's tensors are made in the current scope and stay there: the plan can be replayed until that scope
    /// ends (or the arena is reset or disposed); after that every replay is refused as stale. The forward may not read values
    /// to the host, change tensors in place, draw random numbers, open scopes or run backward (see
    /// <see cref="CapturedStep"/>).</remarks>
    /// <exception cref="InvalidOperationException">A capture is already running, or the forward did something a replay
    /// cannot repeat (the message says what).</exception>
    public CapturedStep Capture(Tensor input, Func<Tensor, Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return CaptureCore(input, forward, null);
    }

    /// <summary>Records a training step: <c>optimizer.ZeroGrad()</c>, <paramref name="loss"/> on <paramref name="input"/>,
    /// backward and <c>optimizer.Step()</c>, run once eagerly; <see cref="CapturedStep.Replay"/> repeats the four in the same
    /// order. Other per-step data (a regression target) is written into its tensors with <c>CopyFrom</c> before a replay.</summary>
    /// <remarks>Class-index targets given as spans (cross-entropy, nll) are part of the plan: replays use the captured ones;
    /// given as an Int32 tensor they are read afresh by every replay, as are index and mask tensors.
    /// See <see cref="Capture"/> for lifetimes and what the step may not do.</remarks>
    /// <exception cref="ArgumentException">The optimizer's parameters live in another arena.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="Capture"/>, or backward refused the loss.</exception>
    public CapturedStep CaptureTraining(Tensor input, Func<Tensor, Tensor> loss, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!ReferenceEquals(optimizer.Arena, this))
            throw new ArgumentException("The optimizer's parameters live in another arena than the one capturing the step.", nameof(optimizer));
        return CaptureCore(input, loss, optimizer);
    }

    private CapturedStep CaptureCore(Tensor input, Func<Tensor, Tensor> step, Optimizer? optimizer)
    {
        CheckUse();
        ThrowIfCapturing(CaptureRefusal.Nested, "Capturing a step");
        int inputSlot = OwnSlot(input);
        if (_tracing)
            throw new InvalidOperationException("A trace is already running on this arena (a graph export?); end it before capturing a step.");
        int scopes = _openScopes.Count;
        optimizer?.ZeroGrad();
        int tapeStart = _tape.Count;
        Tensor output;
        BeginTrace();
        _capturing = true;
        try
        {
            output = step(input);
        }
        finally
        {
            _capturing = false;
            EndTrace();
        }
        if (output.Equals(default(Tensor)))
            throw new InvalidOperationException(
                "The captured step returned default(Tensor): it must return the tensor it computed (the output to replay into).");
        if (_openScopes.Count != scopes || !input.IsAlive || !output.IsAlive)
            throw new InvalidOperationException(
                "The captured step ended a scope that was open when the capture began, or reset the arena: the tensors it made are gone.");
        int outputSlot = OwnSlot(output);
        int tapeEnd = _tape.Count;
        ReadOnlySpan<TracedOp> traced = TracedOps;
        var plan = new Instruction[traced.Length];
        int lastSlot = Math.Max(inputSlot, outputSlot);
        for (int i = 0; i < traced.Length; i++)
        {
            ref readonly Instruction ins = ref traced[i].Instruction;
            plan[i] = ins;
            lastSlot = Math.Max(lastSlot, Math.Max(Math.Max(ins.Output, ins.Saved), Math.Max(ins.Input0, Math.Max(ins.Input1, ins.Input2))));
            if (OpTable.Of(ins.Op).OperandsAreInputs)
                foreach (int operand in OperandsOf(ins)) lastSlot = Math.Max(lastSlot, operand);
        }
        if (optimizer is not null)
        {
            if (_details[outputSlot].Producer < tapeStart)
                throw new InvalidOperationException(
                    "The captured loss was not computed by the step from tensors that require grad: there is nothing to train.");
            ThrowIfHooked();
            RunBackward(new ReadOnlySpan<Tensor>(in output), default, retainGraph: false);
            optimizer.Step();
        }
        return new CapturedStep(this, input, output, ShapeOf(inputSlot).ToArray(), new CapturedPlan(this, plan), tapeStart, tapeEnd, optimizer,
            Handle(lastSlot));
    }

    /// <summary>Whether a step is being captured (ops that a replay could not repeat are refused meanwhile).</summary>
    internal bool IsCapturing => _capturing;

    /// <summary>Refuses <paramref name="refusal"/> while a step is being captured. One branch when not capturing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ThrowIfCapturing(CaptureRefusal refusal, string what)
    {
        if (_capturing) ThrowCapturing(refusal, what);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCapturing(CaptureRefusal refusal, string what) =>
        throw new InvalidOperationException(refusal switch
        {
            CaptureRefusal.HostRead =>
                $"{what} reads tensor values to the host while a step is being captured: a replay does not run it again, so control " +
                "flow that depends on it could differ from eager mode. Read the values after the capture (from the step's Output).",
            CaptureRefusal.Random =>
                $"{what} draws random numbers while a step is being captured: a replay would reuse the numbers drawn at capture instead " +
                "of drawing new ones. Make random tensors outside the captured step, and put dropout in eval mode.",
            CaptureRefusal.InPlace =>
                $"{what} changes a tensor in place while a step is being captured: in-place changes are not replayed. Use the " +
                "out-of-place operation inside the captured step.",
            CaptureRefusal.Nested =>
                $"{what} inside a step being captured is refused: captures do not nest, and a replay's ops are not traced.",
            CaptureRefusal.CustomFunction =>
                $"{what} applies a custom autograd function while a step is being captured: its forward and backward are your code, " +
                "which a replay does not run. Capture a step written with the engine's ops.",
            CaptureRefusal.Backward =>
                $"{what} runs backward while a step is being captured: capture the forward, and let CaptureTraining run backward and " +
                "the optimizer step.",
            _ =>
                $"{what} opens an arena scope while a step is being captured: the step's tensors must live as long as the plan. " +
                "Open the scope around the capture instead.",
        });

    /// <summary>Makes the tape segment [<paramref name="start"/>, <paramref name="end"/>) of a captured step ready for one
    /// more backward: not freed, and the saved tensors' versions stamped as they are after the replayed forward (the
    /// optimizer's in-place step and the new input legitimately moved them).</summary>
    internal void RearmTape(int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            ref Instruction ins = ref _tape[i];
            ins.Freed = false;
            if (ins.Version0 >= 0) ins.Version0 = VersionOf(ins.Input0);
            if (ins.Version1 >= 0) ins.Version1 = VersionOf(ins.Input1);
            if (ins.Version2 >= 0) ins.Version2 = VersionOf(ins.Input2);
            if (ins.VersionOutput >= 0) ins.VersionOutput = VersionOf(ins.Output);
            if (ins.VersionSaved >= 0) ins.VersionSaved = VersionOf(ins.Saved);
        }
        if (end == _tape.Count)
        {
            // The segment is the tape's top: nothing in it is freed now, and its versions are current.
            if (_firstFreed >= start) _firstFreed = int.MaxValue;
            _versionsStaleBelow = Math.Min(_versionsStaleBelow, start);
        }
    }
}
