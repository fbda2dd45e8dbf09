using System;

namespace ArenaGrad.Tools;

/// <summary>A small deterministic generator, so built-in data sets are the same on every machine and runtime.</summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in (0, 1].</summary>
    public double NextUnit() => ((Next() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>Integer in [0, count) (modulo bias below 2^-32 for the counts used here).</summary>
    public int NextInt(int count) => (int)(Next() % (ulong)count);

    /// <summary>Standard normal (Box-Muller).</summary>
    public double NextGaussian() => Math.Sqrt(-2.0 * Math.Log(NextUnit())) * Math.Cos(2.0 * Math.PI * NextUnit());
}
