using ArenaGrad.Kernels;

namespace ArenaGrad.Nn;

/// <summary><c>nn.GRUCell</c>: one GRU step, r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
/// n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h, for x [B, I] or [I] (unbatched) and h [B, H] or [H].
/// The gate nonlinearities and the update are one fused op (grad_fn ThnnFusedGruCellBackward0).</summary>
/// <remarks>Per frame, keep the state in one tensor made outside any scope and call <see cref="Step"/>: it computes the next
/// state (no grad, no tape) and writes it into that tensor in place, allocating nothing.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "PyTorch's names.")]
public sealed class GRUCell : RNNCellBase
{
    /// <summary>Makes <c>weight_ih</c> [3H, I], <c>weight_hh</c> [3H, H], <c>bias_ih</c> and <c>bias_hh</c> [3H] in
    /// <paramref name="arena"/>, outside any scope, each U(−1/√H, 1/√H) from the arena's generator in that order (PyTorch's).</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">A size PyTorch refuses.</exception>
    public GRUCell(Arena arena, int inputSize, int hiddenSize, bool bias = true)
        : base(arena, nameof(GRUCell), 3, inputSize, hiddenSize, bias)
    {
    }

    /// <summary>h' from <paramref name="input"/> [B, I] and <paramref name="hidden"/> [B, H] (or [I] and [H]).</summary>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages).</exception>
    public Tensor Forward(Tensor input, Tensor hidden)
    {
        RecurrentChecks.CheckCellInputRank(input, nameof(GRUCell));
        if (input.Rank == 2) return Functional.GruCell(input, hidden, WeightIh, WeightHh, BiasIh, BiasHh);
        Arena arena = input.Arena;
        using OpTransaction op = arena.BeginOp();
        return op.Commit(Functional.GruCell(input.Unsqueeze(0), hidden.Unsqueeze(0), WeightIh, WeightHh, BiasIh, BiasHh).Squeeze(0));
    }

    /// <summary>h' from <paramref name="input"/> and a zero state (PyTorch's hx=None).</summary>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input)
    {
        RecurrentChecks.CheckCellInput(input, nameof(GRUCell), InputSize);
        Arena arena = input.Arena;
        using OpTransaction op = arena.BeginOp();
        Tensor zeros = input.Rank == 2 ? arena.Zeros([input.Shape[0], HiddenSize]) : arena.Zeros([HiddenSize]);
        return op.Commit(Forward(input, zeros));
    }

    /// <summary>One frame: <paramref name="state"/> = GRUCell(<paramref name="input"/>, <paramref name="state"/>), computed
    /// without grad and written into <paramref name="state"/> in place; returns <paramref name="state"/>: bitwise
    /// <see cref="Forward(Tensor, Tensor)"/>'s result, computed straight into the state (no scope, tape or tensor) when
    /// the tensors are this arena's Float32 ones and nothing is being captured, else through Forward under no-grad in a
    /// scope of its own. Allocates nothing (managed or in the arena).</summary>
    /// <remarks>Make the state once, outside any scope (<c>arena.Zeros([batch, hiddenSize])</c>, or [hiddenSize]);
    /// training goes through <see cref="Forward(Tensor, Tensor)"/>.</remarks>
    /// <exception cref="ArgumentException">A wrong rank or size (PyTorch's messages).</exception>
    public Tensor Step(Tensor input, Tensor state)
    {
        if (!TryStepInPlace(input, state)) StepThroughForward(input, state);
        return state;
    }

    /// <summary>The step straight from native memory (<see cref="Kernels.RecurrentStep"/>: Forward's kernels in Forward's
    /// order, so Forward's bits), when the inputs are what Forward would take without a message; false (nothing
    /// done) otherwise.</summary>
    private unsafe bool TryStepInPlace(Tensor input, Tensor state)
    {
        Arena? arena = state.Owner;
        if (!FastStep.Allowed(arena)) return false;
        int hs = FastStep.Slot(arena!, state), xs = FastStep.Slot(arena!, input);
        if (hs < 0 || xs < 0) return false;
        int rank = arena!.RankOf(xs);
        if (rank is not (1 or 2) || arena.RankOf(hs) != rank) return false;
        ReadOnlySpan<int> x = arena.ShapeOf(xs), h = arena.ShapeOf(hs);
        int rows = rank == 2 ? x[0] : 1;
        if (x[^1] != InputSize || h[^1] != HiddenSize || h[0] != (rank == 2 ? rows : HiddenSize)) return false;
        if (!RecurrentStep.Fits(rows, 3, HiddenSize) || !FastStep.Writable(arena, hs)) return false;
        float* wih = FastStep.Values(arena, WeightIh), whh = FastStep.Values(arena, WeightHh);
        float* bih = FastStep.Values(arena, BiasIh), bhh = FastStep.Values(arena, BiasHh);
        if (!FastStep.Usable(wih, BiasIh, bih) || !FastStep.Usable(whh, BiasHh, bhh)) return false;
        arena.BumpVersion(hs); // as CopyFrom does
        RecurrentStep.Gru(FastStep.Values(arena, xs), FastStep.Values(arena, hs), wih, whh, bih, bhh, rows, InputSize, HiddenSize,
            arena.GemmTeam);
        return true;
    }

    /// <summary>The general step: Forward under no-grad in a scope, copied into the state (and its messages).</summary>
    private void StepThroughForward(Tensor input, Tensor state)
    {
        Arena arena = state.Arena;
        using (arena.Scope())
        using (arena.NoGrad())
            state.CopyFrom(Forward(input, state));
    }
}
