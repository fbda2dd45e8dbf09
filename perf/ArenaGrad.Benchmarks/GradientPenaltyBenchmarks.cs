using System;
using BenchmarkDotNet.Attributes;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Benchmarks;

/// <summary>Issue 17's first higher-order workload: one WGAN-GP critic step. The critic D is an <c>Nn.Mlp</c> 4-64-64-1
/// (tanh, or ReLU), batch 64; loss = mean D(fake) − mean D(real) + 10·mean((‖∇ₓD(x̂)‖₂ − 1)²) at x̂ = α·real + (1 − α)·fake
/// (α ~ U(0, 1) per row, drawn each step), the input gradient from <c>Autograd.Grad(createGraph: true)</c>; backward
/// through it to the weights, one <see cref="Adam"/> step (lr 1e-4, β = (0.5, 0.9)). compare.py runs the same in PyTorch.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class GradientPenaltyBenchmarks
{
    private const int Batch = 64, Features = 4;
    private const float Lambda = 10f;

    private Arena _arena = null!;
    private Mlp _tanhCritic = null!, _reluCritic = null!;
    private Adam _tanhAdam = null!, _reluAdam = null!;
    private Tensor _real, _fake, _ones;
    private readonly Tensor?[] _inputGradient = new Tensor?[1];

    /// <summary>Both critics and their Adam states, a fixed batch of real and generated samples, all outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 17 });
        _tanhCritic = new Mlp(_arena, [Features, 64, 64, 1], () => new Tanh());
        _reluCritic = new Mlp(_arena, [Features, 64, 64, 1], () => new Relu());
        _tanhAdam = new Adam(_tanhCritic.Parameters(), lr: 1e-4f, beta1: 0.5f, beta2: 0.9f);
        _reluAdam = new Adam(_reluCritic.Parameters(), lr: 1e-4f, beta1: 0.5f, beta2: 0.9f);
        _real = _arena.Randn([Batch, Features]);
        _fake = _arena.Randn([Batch, Features], std: 0.5f);
        _ones = _arena.Ones([Batch, 1]);
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>One critic step with the tanh critic; returns the loss.</summary>
    [Benchmark]
    public float GradientPenaltyCriticStepTanh() => Step(_tanhCritic, _tanhAdam);

    /// <summary>One critic step with the ReLU critic; returns the loss.</summary>
    [Benchmark]
    public float GradientPenaltyCriticStepRelu() => Step(_reluCritic, _reluAdam);

    private float Step(Mlp critic, Adam adam)
    {
        float loss;
        adam.ZeroGrad();
        using (_arena.Scope())
        {
            Tensor alpha = _arena.Rand([Batch, 1]);
            Tensor mixed = (alpha * (_real - _fake) + _fake).SetRequiresGrad();   // a leaf, as x̂.requires_grad_()
            Tensor score = critic.Forward(mixed);
            Autograd.Grad(new ReadOnlySpan<Tensor>(in score), new ReadOnlySpan<Tensor>(in mixed), new ReadOnlySpan<Tensor>(in _ones),
                _inputGradient, createGraph: true);
            Tensor gradient = _inputGradient[0]!.Value;
            _inputGradient[0] = null;
            Tensor norm = (gradient.Square().Sum(1) + 1e-12f).Sqrt();
            Tensor penalty = (norm - 1f).Square().Mean();
            Tensor lossTensor = critic.Forward(_fake).Mean() - critic.Forward(_real).Mean() + penalty * Lambda;
            lossTensor.Backward();
            loss = lossTensor.Item();
        }
        adam.Step();
        return loss;
    }
}
