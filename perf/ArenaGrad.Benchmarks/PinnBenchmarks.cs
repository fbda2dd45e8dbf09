using System;
using BenchmarkDotNet.Attributes;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Benchmarks;

/// <summary>Issue 17's second higher-order workload: one training step of tools/ArenaGrad.Pinn at its defaults. An
/// <c>Nn.Mlp</c> 1-32-32-1 (tanh) u(t) at 64 collocation points t in [0, 5] (fed as 2t/5 − 1); u' and u'' from two
/// <c>Autograd.Grad(createGraph: true)</c> passes; loss = mean(((u'' + 0.4u' + 4u)/4)²) + (u(0) − 1)² + (u'(0)/2)²;
/// backward to the weights, one <see cref="Adam"/> step (lr 0.01) and one cosine-schedule step. The same arithmetic as
/// <c>PhysicsLoss</c> there, written out here so the benchmarks need no tool project. compare.py runs it in PyTorch.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class PinnBenchmarks
{
    private const int Points = 64;
    private const float Duration = 5f, Mass = 1f, Damping = 0.4f, Stiffness = 4f, U0 = 1f, V0 = 0f;

    private Arena _arena = null!;
    private Mlp _model = null!;
    private Adam _adam = null!;
    private CosineAnnealingLR _schedule = null!;
    private Tensor _times, _ones, _atStart;
    private readonly Tensor?[] _derivative = new Tensor?[1];

    /// <summary>The network, Adam's state, the schedule and the collocation points, all outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 1 });
        _model = new Mlp(_arena, [1, 32, 32, 1], () => new Tanh());
        _adam = new Adam(_model.Parameters(), lr: 0.01f);
        _schedule = new CosineAnnealingLR(_adam, tMax: 3000);
        float[] times = new float[Points], atStart = new float[Points];
        for (int i = 0; i < Points; i++) times[i] = (float)((double)Duration * i / (Points - 1));
        atStart[0] = 1f;
        _times = _arena.FromData(times, [Points, 1], requiresGrad: true);
        _ones = _arena.Ones([Points, 1]);
        _atStart = _arena.FromData(atStart, [Points, 1]);
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>ZeroGrad, the physics-informed loss with u' and u'', backward, Adam, schedule; returns the loss.</summary>
    [Benchmark]
    public float PinnTrainingStep()
    {
        float loss;
        _adam.ZeroGrad();
        using (_arena.Scope())
        {
            Tensor u = _model.Forward(_times * (2f / Duration) - 1f);
            Tensor du = Derivative(u);
            Tensor ddu = Derivative(du);
            Tensor residual = ddu * (Mass / Stiffness) + du * (Damping / Stiffness) + u;
            Tensor positionMiss = (u * _atStart).Sum() - U0;
            Tensor velocityMiss = ((du * _atStart).Sum() - V0) * MathF.Sqrt(Mass / Stiffness);
            Tensor lossTensor = residual.Square().Mean() + (positionMiss.Square() + velocityMiss.Square());
            lossTensor.Backward();
            loss = lossTensor.Item();
        }
        _adam.Step();
        _schedule.Step();
        return loss;
    }

    private Tensor Derivative(Tensor f)
    {
        Autograd.Grad(new ReadOnlySpan<Tensor>(in f), new ReadOnlySpan<Tensor>(in _times), new ReadOnlySpan<Tensor>(in _ones),
            _derivative, createGraph: true);
        Tensor result = _derivative[0]!.Value;
        _derivative[0] = null;
        return result;
    }
}
