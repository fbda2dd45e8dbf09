using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>Captured steps (issue 9) side by side with the same steps in eager mode. W1: <c>Nn.Mlp</c> 32-64-64-4 with tanh at
/// batch 1 under no-grad, as <see cref="InferenceBenchmarks"/> (eager: a scope per call; replayed: <c>Run(x)</c>). W2:
/// <c>Nn.Mlp</c> 64-128-128-8 with ReLU, batch 32, MSE, backward and Adam, as <see cref="AdamTrainingStepBenchmarks"/>
/// (replayed: <c>Replay()</c>, which runs ZeroGrad, the forward, backward and the step). Each pair lives in its own arena
/// with the same seed; the replays compute bitwise what the eager steps compute.</summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class CapturedStepBenchmarks
{
    private Arena _w1Arena = null!, _w1CapturedArena = null!, _w2Arena = null!, _w2CapturedArena = null!;
    private Mlp _w1Model = null!;
    private Tensor _w1Input, _w1CapturedInput;
    private CapturedStep _w1Step = null!;
    private Mlp _w2Model = null!;
    private Adam _w2Adam = null!;
    private Tensor _w2Input, _w2Target;
    private CapturedStep _w2Step = null!;

    /// <summary>Makes both workloads twice (eager and captured), capturing the second copy once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _w1Arena = new Arena(new ArenaOptions { Seed = 42 });
        _w1Model = new Mlp(_w1Arena, [32, 64, 64, 4]);
        _w1Input = _w1Arena.Randn([1, 32]);

        _w1CapturedArena = new Arena(new ArenaOptions { Seed = 42 });
        var capturedModel = new Mlp(_w1CapturedArena, [32, 64, 64, 4]);
        _w1CapturedInput = _w1CapturedArena.Randn([1, 32]);
        using (_w1CapturedArena.NoGrad())
            _w1Step = _w1CapturedArena.Capture(_w1CapturedArena.Zeros([1, 32]), capturedModel.Forward);

        _w2Arena = new Arena(new ArenaOptions { Seed = 42 });
        _w2Model = new Mlp(_w2Arena, [64, 128, 128, 8], () => new Relu());
        _w2Adam = new Adam(_w2Model.Parameters(), lr: 1e-3f);
        _w2Input = _w2Arena.Randn([32, 64]);
        _w2Target = _w2Arena.Randn([32, 8]);

        _w2CapturedArena = new Arena(new ArenaOptions { Seed = 42 });
        var model = new Mlp(_w2CapturedArena, [64, 128, 128, 8], () => new Relu());
        var adam = new Adam(model.Parameters(), lr: 1e-3f);
        Tensor input = _w2CapturedArena.Randn([32, 64]), target = _w2CapturedArena.Randn([32, 8]);
        _w2Step = _w2CapturedArena.CaptureTraining(input, x => Functional.MseLoss(model.Forward(x), target), adam);
    }

    /// <summary>Frees the arenas' native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _w1Step.Dispose();
        _w2Step.Dispose();
        _w1Arena.Dispose();
        _w1CapturedArena.Dispose();
        _w2Arena.Dispose();
        _w2CapturedArena.Dispose();
    }

    /// <summary>W1 eager: a scope, no-grad, three Linear and two Tanh; returns the first logit.</summary>
    [Benchmark(Baseline = true)]
    public float W1Eager()
    {
        using (_w1Arena.Scope())
        using (_w1Arena.NoGrad())
        {
            return _w1Model.Forward(_w1Input).AsSpanUnsafely()[0];
        }
    }

    /// <summary>W1 replayed: copy the input in, replay the five ops; returns the first logit.</summary>
    [Benchmark]
    public float W1Replayed() => _w1Step.Run(_w1CapturedInput).AsSpanUnsafely()[0];

    /// <summary>W2 eager: ZeroGrad, forward and MSE and backward in a scope, Adam step; returns the loss.</summary>
    [Benchmark]
    public float W2Eager()
    {
        float loss;
        _w2Adam.ZeroGrad();
        using (_w2Arena.Scope())
        {
            Tensor lossTensor = Functional.MseLoss(_w2Model.Forward(_w2Input), _w2Target);
            lossTensor.Backward();
            loss = lossTensor.Item();
        }
        _w2Adam.Step();
        return loss;
    }

    /// <summary>W2 replayed: ZeroGrad, the replayed forward, backward, Adam step; returns the loss.</summary>
    [Benchmark]
    public float W2Replayed() => _w2Step.Replay().Item();
}
