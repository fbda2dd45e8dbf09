using ArenaGrad.Kernels;

namespace ArenaGrad.Nn;

/// <summary><c>nn.LSTMCell</c>: one LSTM step, gates = W_ih x + b_ih + W_hh h + b_hh split into i, f, g, o;
/// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'), for x [B, I] or [I] (unbatched) and h, c [B, H] or [H]. c' and h' are
/// two fused ops (grad_fn ThnnFusedLstmCellBackward0).</summary>
/// <remarks>Per frame, keep (h, c) in two tensors made outside any scope and call <see cref="Step"/>.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "PyTorch's names.")]
public sealed class LSTMCell : RNNCellBase
{
    /// <summary>Makes <c>weight_ih</c> [4H, I], <c>weight_hh</c> [4H, H], <c>bias_ih</c> and <c>bias_hh</c> [4H] in
    /// <paramref name="arena"/>, outside any scope, each U(−1/√H, 1/√H) from the arena's generator in that order (PyTorch's).</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">A size PyTorch refuses.</exception>
    public LSTMCell(Arena arena, int inputSize, int hiddenSize, bool bias = true)
        : base(arena, nameof(LSTMCell), 4, inputSize, hiddenSize, bias)
    {
    }

    /// <summary>(h', c') from <paramref name="input"/> [B, I] and <paramref name="state"/> ([B, H], [B, H]) (or unbatched).</summary>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages).</exception>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C) state)
    {
        RecurrentChecks.CheckCellInputRank(input, nameof(LSTMCell));
        if (input.Rank == 2) return Functional.LstmCell(input, state, WeightIh, WeightHh, BiasIh, BiasHh);
        using OpTransaction op = input.Arena.BeginOp();
        (Tensor h, Tensor c) = Functional.LstmCell(input.Unsqueeze(0), (state.H.Unsqueeze(0), state.C.Unsqueeze(0)), WeightIh, WeightHh, BiasIh, BiasHh);
        (Tensor H, Tensor C) result = (h.Squeeze(0), c.Squeeze(0));
        op.Commit();
        return result;
    }

    /// <summary>(h', c') from <paramref name="input"/> and zero states (PyTorch's hx=None).</summary>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages).</exception>
    public (Tensor H, Tensor C) ForwardWithZeroState(Tensor input)
    {
        RecurrentChecks.CheckCellInput(input, nameof(LSTMCell), InputSize);
        Arena arena = input.Arena;
        using OpTransaction op = arena.BeginOp();
        Tensor zeros = input.Rank == 2 ? arena.Zeros([input.Shape[0], HiddenSize]) : arena.Zeros([HiddenSize]);
        (Tensor H, Tensor C) result = Forward(input, (zeros, zeros));
        op.Commit();
        return result;
    }

    /// <summary>h' from <paramref name="input"/> and zero states (<c>Module.Forward</c>; c' is dropped).</summary>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input) => ForwardWithZeroState(input).H;

    /// <summary>One frame: (h, c) = LSTMCell(<paramref name="input"/>, (h, c)), computed without grad and written into
    /// <paramref name="state"/>'s two tensors in place; returns <paramref name="state"/>: bitwise Forward's result, computed
    /// straight into the state when h and c are distinct tensors of this arena and nothing is being captured, else through
    /// Forward under no-grad in a scope of its own. Allocates nothing.</summary>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages).</exception>
    public (Tensor H, Tensor C) Step(Tensor input, (Tensor H, Tensor C) state)
    {
        if (!TryStepInPlace(input, state)) StepThroughForward(input, state);
        return state;
    }

    /// <summary>The step straight from native memory (<see cref="Kernels.RecurrentStep"/>: Forward's kernels in Forward's
    /// order, so Forward's bits), when the inputs are what Forward would take without a message and h and c do not
    /// overlap; false (nothing done) otherwise.</summary>
    private unsafe bool TryStepInPlace(Tensor input, (Tensor H, Tensor C) state)
    {
        Arena? arena = input.Owner;
        if (!FastStep.Allowed(arena)) return false;
        int xs = FastStep.Slot(arena!, input), hs = FastStep.Slot(arena!, state.H), cs = FastStep.Slot(arena!, state.C);
        if (xs < 0 || hs < 0 || cs < 0) return false;
        int rank = arena!.RankOf(xs);
        if (rank is not (1 or 2) || arena.RankOf(hs) != rank || arena.RankOf(cs) != rank) return false;
        ReadOnlySpan<int> x = arena.ShapeOf(xs), h = arena.ShapeOf(hs), c = arena.ShapeOf(cs);
        int rows = rank == 2 ? x[0] : 1;
        if (x[^1] != InputSize || h[^1] != HiddenSize || c[^1] != HiddenSize) return false;
        if (rank == 2 && (h[0] != rows || c[0] != rows)) return false;
        if (!RecurrentStep.Fits(rows, 4, HiddenSize) || !FastStep.Writable(arena, hs) || !FastStep.Writable(arena, cs)) return false;
        if (FastStep.Overlap(arena, hs, cs)) return false; // c' is written before h' is computed from it
        float* wih = FastStep.Values(arena, WeightIh), whh = FastStep.Values(arena, WeightHh);
        float* bih = FastStep.Values(arena, BiasIh), bhh = FastStep.Values(arena, BiasHh);
        if (!FastStep.Usable(wih, BiasIh, bih) || !FastStep.Usable(whh, BiasHh, bhh)) return false;
        arena.BumpVersion(hs); // as the two CopyFroms do
        arena.BumpVersion(cs);
        RecurrentStep.Lstm(FastStep.Values(arena, xs), FastStep.Values(arena, hs), FastStep.Values(arena, cs), wih, whh, bih, bhh, rows,
            InputSize, HiddenSize, arena.GemmTeam);
        return true;
    }

    /// <summary>The general step: Forward under no-grad in a scope, copied into the state (and its messages).</summary>
    private void StepThroughForward(Tensor input, (Tensor H, Tensor C) state)
    {
        Arena arena = input.Arena;
        using (arena.Scope())
        using (arena.NoGrad())
        {
            (Tensor h, Tensor c) = Forward(input, state);
            state.H.CopyFrom(h);
            state.C.CopyFrom(c);
        }
    }
}
