using System.Runtime.CompilerServices;
using ArenaGrad.Optim;

namespace ArenaGrad.Capture;

/// <summary>
/// A step recorded once by <see cref="Arena.Capture"/> or <see cref="Arena.CaptureTraining"/> and replayed with new input
/// values: every op's kernels run again into the same tensors, with no dispatch, validation, slot creation or allocation.
/// A replay gives bitwise the values eager mode gives, because eager ops and replays call the same compute method per op
/// (<c>ForwardRules</c>); a training replay then runs the ordinary backward pass and optimizer step.
/// </summary>
/// <remarks>
/// <para>The plan is fixed to what the capture saw: the input's shape (a different one is refused), the ops the forward
/// chose, their attributes and class-index targets. Data-dependent control flow is ruled out at capture time: the step may
/// not read values to the host, change tensors in place, draw random numbers, open scopes or run backward.</para>
/// <para>The step's tensors live in the scope that was open when it was captured. Once that scope ends (or the arena is
/// reset or disposed) the plan is stale, and every replay is refused: it never writes into memory that other tensors
/// now use. One generation compare per replay checks this.</para>
/// </remarks>
public sealed class CapturedStep : IDisposable
{
    private readonly Arena _arena;
    private readonly Tensor _input, _output;
    private readonly int[] _inputShape;
    private readonly CapturedPlan _plan;
    private readonly int _tapeStart, _tapeEnd;
    private readonly Optimizer? _optimizer;
    private readonly Tensor _lastTensor; // the newest tensor the plan names: alive iff every tensor the plan names is
    private bool _disposed;

    internal CapturedStep(Arena arena, Tensor input, Tensor output, int[] inputShape, CapturedPlan plan, int tapeStart, int tapeEnd,
        Optimizer? optimizer, Tensor lastTensor)
    {
        _arena = arena;
        _input = input;
        _output = output;
        _inputShape = inputShape;
        _plan = plan;
        _tapeStart = tapeStart;
        _tapeEnd = tapeEnd;
        _optimizer = optimizer;
        _lastTensor = lastTensor;
    }

    /// <summary>The captured input: <see cref="Run"/> copies new values into it; or write it with <c>CopyFrom</c> and call
    /// <see cref="Replay"/>.</summary>
    public Tensor Input => _input;

    /// <summary>The step's result (the loss for a training step), overwritten by every replay.</summary>
    public Tensor Output => _output;

    /// <summary>Whether replays run backward and the optimizer step after the forward.</summary>
    public bool IsTraining => _optimizer is not null;

    /// <summary>How many ops a replay runs (views such as reshape count, and cost nothing).</summary>
    public int OpCount => _plan.InstructionCount;

    /// <summary>How many passes a replay makes after fusion: a Linear with its bias and the elementwise ops that follow
    /// it, or a chain of elementwise ops, is one pass.</summary>
    public int FusedStepCount => _plan.StepCount;

    /// <summary>Copies <paramref name="input"/>'s values into <see cref="Input"/> and replays the step; returns
    /// <see cref="Output"/>. Allocates nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="input"/>'s shape is not the captured one.</exception>
    /// <exception cref="InvalidOperationException">The plan is stale (see <see cref="CapturedStep"/>).</exception>
    /// <exception cref="ObjectDisposedException">This step was disposed.</exception>
    public Tensor Run(Tensor input)
    {
        CheckReplayable();
        ReadOnlySpan<int> shape = input.Shape;
        if (!shape.SequenceEqual(_inputShape)) throw new ArgumentException(ShapeMismatch(shape), nameof(input));
        _input.CopyFrom(input);
        return ReplayCore();
    }

    /// <summary>Replays the step on the current values of <see cref="Input"/> (and of every other tensor it reads); returns
    /// <see cref="Output"/>. A training step runs <c>ZeroGrad</c>, the forward, backward and <c>Step</c>. Allocates nothing.</summary>
    /// <exception cref="InvalidOperationException">The plan is stale (see <see cref="CapturedStep"/>).</exception>
    /// <exception cref="ObjectDisposedException">This step was disposed.</exception>
    public Tensor Replay()
    {
        CheckReplayable();
        return ReplayCore();
    }

    /// <summary>Forgets the plan: later replays throw. The step's tensors stay until their scope ends.</summary>
    public void Dispose() => _disposed = true;

    private Tensor ReplayCore()
    {
        Arena arena = _arena;
        if (_optimizer is null)
        {
            _plan.Run(arena);
            return _output;
        }
        _optimizer.ZeroGrad();
        _plan.Run(arena);
        arena.RearmTape(_tapeStart, _tapeEnd);
        arena.ThrowIfHooked();
        arena.RunBackward(new ReadOnlySpan<Tensor>(in _output), default, retainGraph: false);
        _optimizer.Step();
        return _output;
    }

    private void CheckReplayable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_lastTensor.IsAlive) ThrowStale(); // also refuses a thread that does not own the arena, and a frozen arena
        _arena.ThrowIfCapturing(CaptureRefusal.Nested, "Replaying a captured step"); // its ops would not be traced
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowStale()
    {
        if (_arena.IsDisposed) throw new ObjectDisposedException(nameof(Arena), "The arena of this captured step was disposed.");
        throw new InvalidOperationException(
            "This captured step is stale: the scope it was captured in has ended (or the arena was reset), so the tensors its plan " +
            "writes are gone. Capture the step again.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private string ShapeMismatch(ReadOnlySpan<int> shape) =>
        $"This step was captured for an input of shape {ShapeMath.Format(_inputShape)}, but got shape {ShapeMath.Format(shape)}. " +
        "A captured plan is fixed to the shapes it saw: capture the step again for this shape.";
}
