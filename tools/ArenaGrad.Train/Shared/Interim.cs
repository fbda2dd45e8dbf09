using System;
using System.Collections.Generic;

namespace ArenaGrad.Tools;

// Stand-ins until ArenaGrad.Nn (Mlp) and ArenaGrad.Optim (Adam) land on main; same member names, so the switch is
// a using directive. Delete this file then.

/// <summary>Linear layers with tanh between them, PyTorch's nn.Linear initialisation.</summary>
internal sealed class Mlp
{
    private readonly Tensor[] _weights;
    private readonly Tensor[] _biases;

    public Mlp(Arena arena, ReadOnlySpan<int> sizes)
    {
        _weights = new Tensor[sizes.Length - 1];
        _biases = new Tensor[sizes.Length - 1];
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            float bound = 1f / MathF.Sqrt(sizes[i]);
            _weights[i] = arena.Uniform([sizes[i + 1], sizes[i]], -bound, bound, requiresGrad: true);
            _biases[i] = arena.Uniform([sizes[i + 1]], -bound, bound, requiresGrad: true);
        }
    }

    public Tensor Forward(Tensor input)
    {
        Tensor h = input;
        for (int i = 0; i < _weights.Length; i++)
        {
            h = Functional.Linear(h, _weights[i], _biases[i]);
            if (i + 1 < _weights.Length) h = h.Tanh();
        }
        return h;
    }

    public IReadOnlyList<Tensor> Parameters()
    {
        var list = new List<Tensor>();
        for (int i = 0; i < _weights.Length; i++)
        {
            list.Add(_weights[i]);
            list.Add(_biases[i]);
        }
        return list;
    }

    public bool Training { get; private set; } = true;

    public void Train() => Training = true;

    public void Eval() => Training = false;
}

/// <summary>Adam with PyTorch's defaults, written with the engine's in-place ops.</summary>
internal sealed class Adam
{
    private readonly Tensor[] _parameters;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;
    private int _step;

    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f)
    {
        _parameters = [.. parameters];
        _m = new Tensor[_parameters.Length];
        _v = new Tensor[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            _m[i] = _parameters[i].Arena.Zeros(_parameters[i].Shape);
            _v[i] = _parameters[i].Arena.Zeros(_parameters[i].Shape);
        }
        LearningRate = lr;
    }

    public float LearningRate { get; set; }

    public void ZeroGrad()
    {
        foreach (Tensor p in _parameters) p.ZeroGrad();
    }

    public void Step()
    {
        _step++;
        float bias1 = 1f - MathF.Pow(0.9f, _step), bias2 = 1f - MathF.Pow(0.999f, _step);
        Arena arena = _parameters[0].Arena;
        using (arena.Scope())
        using (arena.NoGrad())
        {
            for (int i = 0; i < _parameters.Length; i++)
            {
                if (_parameters[i].Grad is not Tensor g) continue;
                _m[i].MulInPlace(0.9f).AddInPlace(g, 0.1f);
                _v[i].MulInPlace(0.999f).AddInPlace(g.Square(), 0.001f);
                Tensor denominator = (_v[i] / bias2).Sqrt() + 1e-8f;
                _parameters[i].AddInPlace(_m[i] / denominator, -LearningRate / bias1);
            }
        }
    }
}
