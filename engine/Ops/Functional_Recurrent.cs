using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Recurrent cells (issue 18, family recurrent): torch.gru_cell and torch.lstm_cell. Each is two Linear projections
// (gi = x·W_ihᵀ + b_ih, gh = h·W_hhᵀ + b_hh) and fused gate ops: OpCode.GruCell, LstmCellState and LstmCellOutput in
// Tape/OpTable.cs, kernels in Kernels/Recurrent. The layers in Nn/Recurrent are built on these.
public static partial class Functional
{
    /// <summary><c>torch.gru_cell</c>: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    /// n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h, for input [B, I], hx [B, H], weightIh [3H, I],
    /// weightHh [3H, H] and biases [3H] (gate blocks r, z, n). The gates and the update are one fused op
    /// (grad_fn ThnnFusedGruCellBackward0).</summary>
    /// <exception cref="ArgumentException">A shape that does not fit (PyTorch's messages).</exception>
    public static Tensor GruCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        int hidden = CheckCell(input, hx, weightIh, weightHh, 3, "hidden0");
        using OpTransaction op = input.Arena.BeginOp();
        Tensor gi = Linear(input, weightIh, biasIh), gh = Linear(hx, weightHh, biasHh);
        return op.Commit(RecurrentGates(OpCode.GruCell, gi, gh, hx, hidden, 3));
    }

    /// <summary><c>torch.lstm_cell</c>: gates = W_ih x + b_ih + W_hh h + b_hh split into i, f, g, o;
    /// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'), for input [B, I], h and c [B, H], weightIh [4H, I], weightHh [4H, H]
    /// and biases [4H]. c' and h' are two fused ops (both ThnnFusedLstmCellBackward0).</summary>
    /// <exception cref="ArgumentException">A shape that does not fit (PyTorch's messages).</exception>
    public static (Tensor H, Tensor C) LstmCell(Tensor input, (Tensor H, Tensor C) state, Tensor weightIh, Tensor weightHh,
        Tensor? biasIh = null, Tensor? biasHh = null)
    {
        int hidden = CheckCell(input, state.H, weightIh, weightHh, 4, "hidden0");
        CheckCell(input, state.C, weightIh, weightHh, 4, "hidden0"); // PyTorch labels c's check hidden0 as well
        using OpTransaction op = input.Arena.BeginOp();
        Tensor gi = Linear(input, weightIh, biasIh), gh = Linear(state.H, weightHh, biasHh);
        Tensor c = RecurrentGates(OpCode.LstmCellState, gi, gh, state.C, hidden, 3);
        Tensor h = RecurrentGates(OpCode.LstmCellOutput, gi, gh, c, hidden, 2);
        op.Commit();
        return (h, c);
    }

    /// <summary>Checks a 2-D cell step as ATen's check_rnn_cell_forward_input / _hidden do; returns the hidden size.</summary>
    private static int CheckCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, int gates, string label)
    {
        input.Arena.RequireFloat(input.Slot);
        ReadOnlySpan<int> wih = weightIh.Shape, whh = weightHh.Shape;
        if (wih.Length != 2 || whh.Length != 2 || whh[0] != wih[0] || wih[0] != gates * whh[1])
            throw new ArgumentException(
                $"The cell's weights must be [{gates}·hidden_size, input_size] and [{gates}·hidden_size, hidden_size], but got {ShapeMath.Format(wih)} and {ShapeMath.Format(whh)}.",
                nameof(weightIh));
        int inputSize = wih[1], hidden = whh[1];
        ReadOnlySpan<int> x = input.Shape, h = hx.Shape;
        if (x.Length != 2) throw new ArgumentException($"Expected input to be 2-D but received {x.Length}-D tensor", nameof(input));
        if (x[1] != inputSize)
            throw new ArgumentException($"input has inconsistent input_size: got {x[1]} expected {inputSize}", nameof(input));
        if (h.Length < 1 || h[0] != x[0])
            throw new ArgumentException($"Input batch size {x[0]} doesn't match {label} batch size {(h.Length < 1 ? 1 : h[0])}", nameof(hx));
        if (h.Length != 2 || h[1] != hidden)
            throw new ArgumentException($"{label} has inconsistent hidden_size: got {(h.Length < 2 ? 1 : h[1])}, expected {hidden}", nameof(hx));
        return hidden;
    }

    /// <summary>One fused gate op (<paramref name="opCode"/>) from gi, gh [B, G·H] and a state [B, H], with a saved buffer of
    /// <paramref name="savedBlocks"/>·H floats per row when it is recorded. The callers checked the shapes.</summary>
    internal static Tensor RecurrentGates(OpCode opCode, Tensor gi, Tensor gh, Tensor state, int hidden, int savedBlocks)
    {
        Arena arena = gi.Arena;
        int a = gi.Slot, b = arena.OwnSlot(gh), c = arena.OwnSlot(state);
        int rows = arena.ShapeOf(c)[0];
        Span<int> shape = [rows, hidden];
        Span<int> savedShape = [rows, savedBlocks * hidden];
        bool record = arena.ShouldRecord(a, b) || arena.ShouldRecord(c);
        using OpTransaction op = arena.BeginOp(); // the result and its saved buffer (one request), then the tape entry
        int saved = -1;
        int y = record ? arena.NewSlotWithSaved(shape, savedShape, out saved) : arena.NewSlot(shape, requiresGrad: false);
        var instruction = new Instruction(opCode, y, a, b, c) { Saved = saved };
        unsafe { OpTable.Of(opCode).Forward(arena, in instruction); }
        arena.Record(in instruction, record);
        return op.Commit(y);
    }
}
