using System;

namespace ArenaGrad.Benchmarks;

/// <summary>The benchmarks' model: MLP 32-64-64-4 with tanh, parameters made outside any scope with PyTorch's
/// uniform init (±1/√fan_in) and requiring grad, as a model's would. compare.py builds the same network.</summary>
internal sealed class Mlp
{
    private readonly Tensor _w1, _b1, _w2, _b2, _w3, _b3;

    /// <summary>Makes the parameters in <paramref name="arena"/> (order w1, b1, w2, b2, w3, b3).</summary>
    public Mlp(Arena arena)
    {
        (_w1, _b1) = Linear(arena, 32, 64);
        (_w2, _b2) = Linear(arena, 64, 64);
        (_w3, _b3) = Linear(arena, 64, 4);
        Parameters = [_w1, _b1, _w2, _b2, _w3, _b3];
    }

    /// <summary>Every parameter, for the optimizer step.</summary>
    public Tensor[] Parameters { get; }

    /// <summary>Logits [batch, 4] of input [batch, 32].</summary>
    public Tensor Forward(Tensor x)
    {
        Tensor h1 = Functional.Linear(x, _w1, _b1).Tanh();
        Tensor h2 = Functional.Linear(h1, _w2, _b2).Tanh();
        return Functional.Linear(h2, _w3, _b3);
    }

    private static (Tensor Weight, Tensor Bias) Linear(Arena arena, int inFeatures, int outFeatures)
    {
        float bound = 1f / MathF.Sqrt(inFeatures);
        return (arena.Uniform([outFeatures, inFeatures], -bound, bound, requiresGrad: true),
                arena.Uniform([outFeatures], -bound, bound, requiresGrad: true));
    }
}
