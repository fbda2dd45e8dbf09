using BenchmarkDotNet.Attributes;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Benchmarks;

/// <summary>W5: what the requires_grad bitmask saves. A feature extractor (Linear 64→W, ReLU, Linear W→W, ReLU) feeds a
/// trainable head (Linear W→8); batch 32, MSE, backward, SGD. <see cref="FrozenExtractorStep"/> freezes the extractor
/// (<c>RequiresGrad(false)</c>), <see cref="AllTrainableStep"/> trains everything. Their ratio is W5: backward skips
/// every instruction no gradient reaches, so the frozen step costs the extractor's forward and the head's backward
/// only, whatever the extractor's size. compare.py runs the same in PyTorch.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class FrozenExtractorBenchmarks
{
    private const int Batch = 32, Inputs = 64, Outputs = 8;
    private Arena _arena = null!;
    private Sequential _frozen = null!, _trainable = null!;
    private Sgd _frozenOptimizer = null!, _trainableOptimizer = null!;
    private Tensor _x, _target;

    /// <summary>Width W of the extractor's layers: two sizes, to show the frozen step's backward does not grow with it.</summary>
    [Params(128, 512)]
    public int Width { get; set; }

    /// <summary>Two models of the same shape, one with its extractor frozen, and their optimizers, outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 5, BlockBytes = 16 << 20 });
        _frozen = Model(_arena, Width, out Module frozenExtractor, out Module frozenHead);
        frozenExtractor.RequiresGrad(false);
        _frozenOptimizer = new Sgd(frozenHead.Parameters(), lr: 1e-3f);
        _trainable = Model(_arena, Width, out _, out _);
        _trainableOptimizer = new Sgd(_trainable.Parameters(), lr: 1e-3f);
        _x = _arena.Randn([Batch, Inputs]);
        _target = _arena.Randn([Batch, Outputs]);
    }

    private static Sequential Model(Arena arena, int width, out Module extractor, out Module head)
    {
        extractor = new Sequential(new Linear(arena, Inputs, width), new Relu(), new Linear(arena, width, width), new Relu());
        head = new Linear(arena, width, Outputs);
        return new Sequential(extractor, head);
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>A training step with the extractor frozen.</summary>
    [Benchmark]
    public float FrozenExtractorStep() => Step(_frozen, _frozenOptimizer);

    /// <summary>The same step with every parameter trainable.</summary>
    [Benchmark(Baseline = true)]
    public float AllTrainableStep() => Step(_trainable, _trainableOptimizer);

    private float Step(Module model, Optimizer optimizer)
    {
        float loss;
        optimizer.ZeroGrad();
        using (_arena.Scope())
        {
            Tensor lossTensor = Functional.MseLoss(model.Forward(_x), _target);
            lossTensor.Backward();
            loss = lossTensor.Item();
        }
        optimizer.Step();
        return loss;
    }
}
