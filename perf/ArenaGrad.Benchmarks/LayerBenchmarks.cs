using BenchmarkDotNet.Attributes;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Benchmarks;

/// <summary>Issue 18's layer workloads beside their PyTorch 1.13 twins in compare.py: a GRU training step, the Nature
/// DQN convolution trunk (inference at batch 1, forward and backward at batch 32) and a transformer entity encoder.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class LayerBenchmarks
{
    private Arena _arena = null!;
    private GRU _gru = null!;
    private Adam _gruAdam = null!;
    private Sequential _cnn = null!;
    private TransformerEncoderLayer _encoder = null!;
    private Tensor _sequence, _sequenceTarget, _frame, _frames, _framesGrad, _entities, _entitiesGrad;

    /// <summary>The models, Adam's state and the inputs, outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 1 });
        _gru = new GRU(_arena, 32, 64);
        _gruAdam = new Adam(_gru.Parameters(), lr: 1e-3f);
        _sequence = _arena.Randn([64, 32, 32]);
        _sequenceTarget = _arena.Randn([64, 32, 64]) * 0.5f;

        _cnn = new Sequential(
            new Conv2d(_arena, 4, 32, 8, stride: 4), new Relu(), new Conv2d(_arena, 32, 64, 4, stride: 2), new Relu(),
            new Conv2d(_arena, 64, 64, 3, stride: 1), new Relu(), new Flatten(), new Linear(_arena, 3136, 512), new Relu());
        _frame = _arena.Rand([1, 4, 84, 84]);
        _frames = _arena.Rand([32, 4, 84, 84]);
        _framesGrad = _arena.Randn([32, 512]);

        _encoder = new TransformerEncoderLayer(_arena, 64, 4, dimFeedforward: 256, dropout: 0f);
        _entities = _arena.Randn([32, 16, 64]);
        _entitiesGrad = _arena.Randn([32, 16, 64]);
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>GRU(32, 64) over seq 64 × batch 32: MSE of the output sequence, backward, Adam; returns the loss.</summary>
    [Benchmark]
    public float GruTrainingBatch32()
    {
        float loss;
        _gruAdam.ZeroGrad();
        using (_arena.Scope())
        {
            Tensor value = Functional.MseLoss(_gru.Forward(_sequence).Output, _sequenceTarget);
            value.Backward();
            loss = value.Item();
        }
        _gruAdam.Step();
        return loss;
    }

    /// <summary>The Nature CNN trunk on one 4×84×84 frame, no grad.</summary>
    [Benchmark]
    public float NatureCnnForwardBatch1()
    {
        using (_arena.Scope())
        using (_arena.NoGrad())
            return _cnn.Forward(_frame).AsSpanUnsafely()[0];
    }

    /// <summary>The Nature CNN trunk on 32 frames, (y · g).sum() backward, gradients set to None.</summary>
    [Benchmark]
    public void NatureCnnTrainingBatch32()
    {
        _cnn.ZeroGrad();
        using (_arena.Scope())
            (_cnn.Forward(_frames) * _framesGrad).Sum().Backward();
    }

    /// <summary>TransformerEncoderLayer(64, 4 heads, feed-forward 256, dropout 0) over [32, 16, 64], (y · g).sum() backward.</summary>
    [Benchmark]
    public void EntityEncoderTrainingBatch32()
    {
        _encoder.ZeroGrad();
        using (_arena.Scope())
            (_encoder.Forward(_entities) * _entitiesGrad).Sum().Backward();
    }
}
