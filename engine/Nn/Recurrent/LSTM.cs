using ArenaGrad.Kernels;
using ArenaGrad.Tape;

namespace ArenaGrad.Nn;

/// <summary><c>nn.LSTM</c>: a stack of L LSTM layers over a sequence, each step as
/// <see cref="LSTMCell"/> (gates i, f, g, o), for input [T, B, I] ([B, T, I] with batchFirst) or [T, I] (unbatched).</summary>
/// <remarks><para>Each layer projects the whole sequence at once (one Linear over [T·B, I]), then steps: gh = Linear(h,
/// W_hh, b_hh) and two fused gate ops per step (c', then h'). Training is truncated BPTT inside one scope: run
/// <c>Forward(input, state)</c> over a chunk, backward, step the optimizer, and carry (h_n, c_n) into the next chunk's
/// scope as a copy made outside it (a tensor made before the scope, updated with <c>CopyFrom</c>): the copy has no
/// graph, so backward stops there (<c>Detach()</c> also cuts the graph, but its values live in the scope that is released).</para>
/// <para>Per frame, keep (h, c), [L, B, H] each, in two tensors made outside any scope and call <see cref="Step"/>.
/// Dropout between layers and bidirectional layers are not implemented (no such parameters).</para></remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "PyTorch's names.")]
public sealed class LSTM : RNNBase
{
    private Tensor[] _steps = new Tensor[16]; // each step's h, reused by every call (grows once to the longest sequence)
    private readonly Tensor[] _last;
    private readonly Tensor[] _lastC;

    /// <summary>Makes <c>weight_ih_l{k}</c> [4H, I or H], <c>weight_hh_l{k}</c> [4H, H], <c>bias_ih_l{k}</c> and
    /// <c>bias_hh_l{k}</c> [4H] for each layer k in <paramref name="arena"/>, outside any scope, each U(−1/√H, 1/√H) from the
    /// arena's generator in that order (PyTorch's).</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">A size PyTorch refuses.</exception>
    public LSTM(Arena arena, int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false)
        : base(arena, nameof(LSTM), 4, inputSize, hiddenSize, numLayers, bias, batchFirst)
    {
        _last = new Tensor[numLayers];
        _lastC = new Tensor[numLayers];
    }

    /// <summary>The output sequence (every step's h of the last layer: [T, B, H], [B, T, H] with batchFirst, or [T, H]) and
    /// (h_n, c_n) ([L, B, H] or [L, H] each), from <paramref name="input"/> and <paramref name="state"/> (zeros when null).</summary>
    /// <exception cref="ArgumentException">A wrong rank or size of the input, h0 or c0 (PyTorch's messages).</exception>
    public (Tensor Output, (Tensor H, Tensor C) State) Forward(Tensor input, (Tensor H, Tensor C)? state = null)
    {
        (int batch, int steps) = RecurrentChecks.CheckSequence(input, state?.H, state?.C, InputSize, HiddenSize, NumLayers, BatchFirst, lstm: true);
        Arena arena = input.Arena;
        bool batched = input.Rank == 3;
        if (_steps.Length < steps) _steps = new Tensor[steps];
        using OpTransaction op = arena.BeginOp();
        Tensor x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input; // [T, B, I]
        Tensor output = x;
        for (int l = 0; l < NumLayers; l++)
        {
            Tensor h, c;
            if (state is (Tensor, Tensor) given)
            {
                h = batched ? given.H.Select(0, l) : given.H.Select(0, l).Unsqueeze(0);
                c = batched ? given.C.Select(0, l) : given.C.Select(0, l).Unsqueeze(0);
            }
            else h = c = arena.Zeros([batch, HiddenSize]);
            Tensor wih = Weights[4 * l], whh = Weights[4 * l + 1];
            Tensor? bih = Bias ? Weights[4 * l + 2] : null, bhh = Bias ? Weights[4 * l + 3] : null;
            Tensor projected = Functional.Linear(x, wih, bih); // [T, B, 4H] in one product
            for (int t = 0; t < steps; t++)
            {
                Tensor gi = projected.Select(0, t), gh = Functional.Linear(h, whh, bhh);
                c = Functional.RecurrentGates(OpCode.LstmCellState, gi, gh, c, HiddenSize, 3);
                h = Functional.RecurrentGates(OpCode.LstmCellOutput, gi, gh, c, HiddenSize, 2);
                _steps[t] = h;
            }
            _last[l] = h;
            _lastC[l] = c;
            bool top = l == NumLayers - 1;
            x = Functional.Stack(_steps.AsSpan(0, steps), top && batched && BatchFirst ? 1 : 0);
            if (top) output = x;
        }
        Tensor hn = Functional.Stack(_last, 0), cn = Functional.Stack(_lastC, 0); // [L, B, H]
        if (!batched)
        {
            output = output.Squeeze(1);
            hn = hn.Squeeze(1);
            cn = cn.Squeeze(1);
        }
        _steps.AsSpan(0, steps).Clear();
        _last.AsSpan().Clear();
        _lastC.AsSpan().Clear();
        op.Commit();
        return (output, (hn, cn));
    }

    /// <summary>The output sequence for <paramref name="input"/> from zero states (<c>Module.Forward</c>).</summary>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    /// <summary>One frame: runs one step of every layer on <paramref name="input"/> ([B, I], or [I] unbatched) from
    /// <paramref name="state"/> ([L, B, H] each, or [L, H]) without grad, and writes (h_n, c_n) into
    /// <paramref name="state"/>'s tensors in place (bitwise a one-step Forward's; straight into the state, or through
    /// Forward in a scope of its own where the fast path does not apply); returns <paramref name="state"/>. Allocates
    /// nothing.</summary>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages, as for a one-step sequence).</exception>
    public (Tensor H, Tensor C) Step(Tensor input, (Tensor H, Tensor C) state)
    {
        if (!TryStepInPlace(input, state)) StepThroughForward(input, state);
        return state;
    }

    /// <summary>The step straight from native memory, layer by layer (<see cref="Kernels.RecurrentStep"/>: Forward's kernels
    /// in Forward's order, so Forward's bits; layer l reads layer l − 1's new h as its input), when the inputs are what
    /// Forward would take without a message and h and c do not overlap; false (nothing done) otherwise.</summary>
    private unsafe bool TryStepInPlace(Tensor input, (Tensor H, Tensor C) state)
    {
        Arena? arena = state.H.Owner;
        if (!FastStep.Allowed(arena)) return false;
        int hs = FastStep.Slot(arena!, state.H), cs = FastStep.Slot(arena!, state.C), xs = FastStep.Slot(arena!, input);
        if (hs < 0 || cs < 0 || xs < 0) return false;
        int rank = arena!.RankOf(xs);
        if (rank is not (1 or 2) || arena.RankOf(hs) != rank + 1 || arena.RankOf(cs) != rank + 1) return false;
        ReadOnlySpan<int> x = arena.ShapeOf(xs), h = arena.ShapeOf(hs), c = arena.ShapeOf(cs);
        int rows = rank == 2 ? x[0] : 1;
        if (x[^1] != InputSize || !h.SequenceEqual(c) || h[0] != NumLayers || h[^1] != HiddenSize || (rank == 2 && h[1] != rows)) return false;
        if (!RecurrentStep.Fits(rows, 4, HiddenSize) || !FastStep.Writable(arena, hs) || !FastStep.Writable(arena, cs)) return false;
        if (FastStep.Overlap(arena, hs, cs)) return false; // c' is written before h' is computed from it
        for (int l = 0; l < 4 * NumLayers; l++)
            if ((Bias || l % 4 < 2) && FastStep.Values(arena, Weights[l]) == null) return false;
        arena.BumpVersion(hs); // as the two CopyFroms do
        arena.BumpVersion(cs);
        float* layerInput = FastStep.Values(arena, xs), hStates = FastStep.Values(arena, hs), cStates = FastStep.Values(arena, cs);
        for (int l = 0; l < NumLayers; l++)
        {
            nint offset = (nint)l * rows * HiddenSize;
            RecurrentStep.Lstm(layerInput, hStates + offset, cStates + offset, FastStep.Values(arena, Weights[4 * l]),
                FastStep.Values(arena, Weights[4 * l + 1]), Bias ? FastStep.Values(arena, Weights[4 * l + 2]) : null,
                Bias ? FastStep.Values(arena, Weights[4 * l + 3]) : null, rows, l == 0 ? InputSize : HiddenSize, HiddenSize, arena.GemmTeam);
            layerInput = hStates + offset;
        }
        return true;
    }

    /// <summary>The general step: a one-step Forward under no-grad in a scope, (h_n, c_n) copied into the state (and its
    /// messages).</summary>
    private void StepThroughForward(Tensor input, (Tensor H, Tensor C) state)
    {
        Arena arena = state.H.Arena;
        using (arena.Scope())
        using (arena.NoGrad())
        {
            Tensor sequence = input.Rank == 2 && BatchFirst ? input.Unsqueeze(1) : input.Unsqueeze(0);
            (Tensor _, (Tensor hn, Tensor cn)) = Forward(sequence, state);
            state.H.CopyFrom(hn);
            state.C.CopyFrom(cn);
        }
    }
}
