using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary>What GRU and LSTM (and their cells) share: PyTorch 1.13's argument checks and messages, and the repr.</summary>
internal static class RecurrentChecks
{
    /// <summary>reset_parameters' bound: every parameter is U(−1/√hidden, 1/√hidden).</summary>
    public static float Bound(int hiddenSize) => hiddenSize > 0 ? (float)(1 / Math.Sqrt(hiddenSize)) : 0f;

    /// <summary>Refuses sizes PyTorch refuses at construction.</summary>
    public static void CheckSizes(int inputSize, int hiddenSize, int numLayers)
    {
        if (hiddenSize <= 0) throw new ArgumentException("hidden_size must be greater than zero", nameof(hiddenSize));
        if (numLayers <= 0) throw new ArgumentException("num_layers must be greater than zero", nameof(numLayers));
        if (inputSize < 0) throw new ArgumentException($"input_size must be non-negative, got {inputSize}", nameof(inputSize));
    }

    /// <summary>RNNCellBase.extra_repr: "input, hidden" and ", bias=False" when there is none.</summary>
    public static string CellRepr(int inputSize, int hiddenSize, bool bias) =>
        string.Create(CultureInfo.InvariantCulture, $"{inputSize}, {hiddenSize}{(bias ? "" : ", bias=False")}");

    /// <summary>RNNBase.extra_repr.</summary>
    public static string LayerRepr(int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{inputSize}, {hiddenSize}{(numLayers != 1 ? $", num_layers={numLayers}" : "")}{(bias ? "" : ", bias=False")}{(batchFirst ? ", batch_first=True" : "")}");

    /// <summary>The cells' input check (an assertion in PyTorch's Python): 1-D (unbatched) or 2-D.</summary>
    public static void CheckCellInputRank(Tensor input, string cell)
    {
        int rank = input.Rank;
        if (rank != 1 && rank != 2)
            throw new ArgumentException($"{cell}: Expected input to be 1-D or 2-D but received {rank}-D tensor", nameof(input));
    }

    /// <summary>The cells' input checks when PyTorch makes the zero state itself (hx=None): the rank, then ATen's input size
    /// check, before anything is made.</summary>
    public static void CheckCellInput(Tensor input, string cell, int inputSize)
    {
        CheckCellInputRank(input, cell);
        int size = input.Shape[^1];
        if (size != inputSize)
            throw new ArgumentException($"input has inconsistent input_size: got {size} expected {inputSize}", nameof(input));
    }

    /// <summary>RNNBase.forward's checks, in its order: the state's rank against the input's, then check_input (rank,
    /// input size), then check_hidden_size for each state (labelled "hidden" for GRU, "hidden[0]" and
    /// "hidden[1]" for LSTM), then the RNN kernel's refusal of an empty sequence. Returns the batch size and the sequence length.</summary>
    public static (int Batch, int Steps) CheckSequence(Tensor input, Tensor? h0, Tensor? c0, int inputSize, int hiddenSize, int numLayers,
        bool batchFirst, bool lstm)
    {
        int rank = input.Rank;
        bool batched = rank == 3;
        if (h0 is Tensor h)
        {
            int hr = h.Rank, cr = c0?.Rank ?? hr;
            int want = batched ? 3 : 2;
            if (hr != want || cr != want)
            {
                string which = batched ? "batched 3-D" : "unbatched 2-D";
                throw new ArgumentException(lstm
                    ? $"For {which} input, hx and cx should also be {want}-D but got ({hr}-D, {cr}-D) tensors"
                    : $"For {which} input, hx should also be {want}-D but got {hr}-D tensor", nameof(h0));
            }
        }
        if (rank != 2 && rank != 3) throw new ArgumentException($"input must have 3 dimensions, got {rank + 1}", nameof(input));
        ReadOnlySpan<int> x = input.Shape;
        if (x[^1] != inputSize)
            throw new ArgumentException($"input.size(-1) must be equal to input_size. Expected {inputSize}, got {x[^1]}", nameof(input));
        int batch = batched ? (batchFirst ? x[0] : x[1]) : 1;
        int steps = batched ? (batchFirst ? x[1] : x[0]) : x[0];
        if (h0 is Tensor h0v) CheckHidden(h0v, batched, batch, hiddenSize, numLayers, lstm ? "hidden[0]" : "hidden");
        if (c0 is Tensor c0v) CheckHidden(c0v, batched, batch, hiddenSize, numLayers, "hidden[1]");
        if (steps == 0) throw new ArgumentException("Expected sequence length to be larger than 0 in RNN", nameof(input));
        return (batch, steps);
    }

    private static void CheckHidden(Tensor state, bool batched, int batch, int hiddenSize, int numLayers, string label)
    {
        ReadOnlySpan<int> s = state.Shape;
        // PyTorch compares the unsqueezed [L, 1, H] of an unbatched state
        Span<int> got = stackalloc int[3];
        if (batched) s.CopyTo(got);
        else { got[0] = s[0]; got[1] = 1; got[2] = s[1]; }
        if (got[0] != numLayers || got[1] != batch || got[2] != hiddenSize)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Expected {label} size ({numLayers}, {batch}, {hiddenSize}), got [{got[0]}, {got[1]}, {got[2]}]"), nameof(state));
    }
}
