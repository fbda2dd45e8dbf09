using System;

namespace ArenaGrad.Agents;

/// <summary>The returns of the last <see cref="Capacity"/> finished episodes, in completion order, and the first global
/// step at which the window was full with a mean at or above the target (../shared/rl/cartpole.md, section 3).</summary>
internal sealed class ReturnWindow(int capacity, double target)
{
    private readonly double[] _returns = new double[capacity];
    private int _next;

    /// <summary>Episodes the window holds at most.</summary>
    public int Capacity => _returns.Length;

    /// <summary>Episodes held (at most <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Episodes added since construction.</summary>
    public long Episodes { get; private set; }

    /// <summary>The mean return that counts as solved.</summary>
    public double Target { get; } = target;

    /// <summary>The first global step at which the window was full and its mean reached <see cref="Target"/>; null until then.</summary>
    public long? SolvedStep { get; private set; }

    /// <summary>Mean of the returns held; NaN while empty.</summary>
    public double Mean
    {
        get
        {
            if (Count == 0) return double.NaN;
            double sum = 0;
            for (int i = 0; i < Count; i++) sum += _returns[i];
            return sum / Count;
        }
    }

    /// <summary>Adds one finished episode's return, seen at <paramref name="globalStep"/>.</summary>
    public void Add(double episodeReturn, long globalStep)
    {
        _returns[_next] = episodeReturn;
        _next = (_next + 1) % _returns.Length;
        Count = Math.Min(Count + 1, _returns.Length);
        Episodes++;
        if (SolvedStep is null && Count == _returns.Length && Mean >= Target) SolvedStep = globalStep;
    }
}
