using BenchmarkDotNet.Attributes;
using ArenaGrad.Capture;
using ArenaGrad.Nn;

namespace ArenaGrad.Benchmarks;

/// <summary>Issue 18's recurrent latency: one <see cref="GRUCell"/> or <see cref="LSTMCell"/> step at batch 1, input and
/// hidden size <see cref="Size"/>, the state carried from call to call as a game carries it from frame to frame: the
/// per-frame <c>Step</c>, and a captured replay of the cell whose output is copied back into the state. compare.py runs
/// the same step in PyTorch 1.13 (gru_cell_step_hN, lstm_cell_step_hN); the anchor is RTNeural: GRU-32 0.24 µs, GRU-64
/// 1.01 µs, LSTM-32 0.33 µs, LSTM-64 1.30 µs on the Zen 4 used for checking.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class RecurrentCellBenchmarks
{
    private Arena _arena = null!;
    private GRUCell _gru = null!;
    private LSTMCell _lstm = null!;
    private CapturedStep _gruReplay = null!;
    private Tensor _x, _h, _lstmH, _lstmC, _replayH;

    /// <summary>Input and hidden size.</summary>
    [Params(32, 64)]
    public int Size { get; set; }

    /// <summary>Both cells, the input and the carried states, outside any scope; the GRU step captured over a fixed state.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 1 });
        _gru = new GRUCell(_arena, Size, Size);
        _lstm = new LSTMCell(_arena, Size, Size);
        _x = _arena.Randn([1, Size]);
        _h = _arena.Zeros([1, Size]);
        _lstmH = _arena.Zeros([1, Size]);
        _lstmC = _arena.Zeros([1, Size]);
        _replayH = _arena.Zeros([1, Size]);
        using (_arena.NoGrad()) _gruReplay = _arena.Capture(_x, x => _gru.Forward(x, _replayH));
    }

    /// <summary>Frees the plan and the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _gruReplay.Dispose();
        _arena.Dispose();
    }

    /// <summary>h ← GRUCell(x, h) through <see cref="GRUCell.Step"/>.</summary>
    [Benchmark]
    public Tensor GruCellStep() => _gru.Step(_x, _h);

    /// <summary>(h, c) ← LSTMCell(x, (h, c)) through <see cref="LSTMCell.Step"/>.</summary>
    [Benchmark]
    public (Tensor, Tensor) LstmCellStep() => _lstm.Step(_x, (_lstmH, _lstmC));

    /// <summary>The captured GRU cell replayed, its output copied back into the state it reads.</summary>
    [Benchmark]
    public void GruCellReplay() => _replayH.CopyFrom(_gruReplay.Run(_x));
}
