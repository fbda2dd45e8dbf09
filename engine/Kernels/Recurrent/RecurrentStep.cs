using System.Runtime.CompilerServices;
using ArenaGrad.Kernels.Gemm;

namespace ArenaGrad.Kernels;

// The per-frame step of the recurrent layers (GRUCell.Step, LSTMCell.Step, GRU.Step, LSTM.Step) straight from native
// memory: no scope, no tape, no slots. It calls the very kernels the general path runs, in the same order (the two
// projections through MatrixMultiply.Gemm with the bias added row by row as ForwardRules.Linear adds it, then the
// fused gate kernels row by row as ForwardRules_Recurrent runs them), so a step gives Forward's bits on every width.
// gi and gh live on the stack; the new state is written over the old one in place, which the gate kernels allow:
// each reads an element of the state before it writes that element, and nothing else reads the state afterwards.

/// <summary>One recurrent step from raw pointers: x [rows, I], the state [rows, H], weights [G·H, I] and [G·H, H],
/// biases [G·H] or null.</summary>
internal static unsafe class RecurrentStep
{
    /// <summary>Most floats of gi and gh together (2·rows·G·H) kept on the stack: 32 KiB. Larger steps take the general path.</summary>
    public const int MaxScratchFloats = 8192;

    /// <summary>Whether a step of <paramref name="rows"/> rows of <paramref name="gates"/>·<paramref name="hidden"/>
    /// gate values fits the stack scratch.</summary>
    public static bool Fits(int rows, int gates, int hidden) => (long)2 * rows * gates * hidden <= MaxScratchFloats;

    /// <summary>GRU: h ← GRUCell(x, h) for every row, in place.</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
    public static void Gru(float* x, float* h, float* wih, float* whh, float* bih, float* bhh, int rows, int input, int hidden,
        GemmTeam? team)
    {
        int width = 3 * hidden;
        float* gi = stackalloc float[rows * width];
        float* gh = stackalloc float[rows * width];
        Project(x, wih, bih, gi, rows, input, width, team);
        Project(h, whh, bhh, gh, rows, hidden, width, team);
        for (int b = 0; b < rows; b++)
        {
            float* state = h + b * hidden;
            OptimizerKernels.Run(new GruCellForward(gi + b * width, gh + b * width, state, state, null, hidden), (nuint)hidden);
        }
    }

    /// <summary>LSTM: c ← c', then h ← h' for every row, in place (h and c must not overlap).</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
    public static void Lstm(float* x, float* h, float* c, float* wih, float* whh, float* bih, float* bhh, int rows, int input,
        int hidden, GemmTeam? team)
    {
        int width = 4 * hidden;
        float* gi = stackalloc float[rows * width];
        float* gh = stackalloc float[rows * width];
        Project(x, wih, bih, gi, rows, input, width, team);
        Project(h, whh, bhh, gh, rows, hidden, width, team);
        for (int b = 0; b < rows; b++)
        {
            float* cell = c + b * hidden;
            OptimizerKernels.Run(new LstmCellStateForward(gi + b * width, gh + b * width, cell, cell, null, hidden), (nuint)hidden);
        }
        for (int b = 0; b < rows; b++)
            OptimizerKernels.Run(new LstmCellOutputForward(gi + b * width, gh + b * width, c + b * hidden, h + b * hidden, null, hidden),
                (nuint)hidden);
    }

    /// <summary>y = x @ wᵀ (+ bias on every row): ForwardRules.Linear with a [out] bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Project(float* x, float* w, float* bias, float* y, int rows, int k, int n, GemmTeam? team)
    {
        MatrixMultiply.Gemm(new ReadOnlySpan<float>(x, rows * k), new ReadOnlySpan<float>(w, n * k), new Span<float>(y, rows * n),
            rows, k, n, transposeA: false, transposeB: true, accumulate: false, team);
        if (bias == null) return;
        var biasValues = new ReadOnlySpan<float>(bias, n);
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(y + r * n, n);
            Elementwise.Binary(new AddOperator(), row, biasValues, row);
        }
    }
}
