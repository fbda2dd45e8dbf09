using System.Runtime.CompilerServices;

namespace ArenaGrad.Environments;

/// <summary>xoshiro256** (Blackman and Vigna, 2018), its 256-bit state filled from four splitmix64 outputs of a
/// 64-bit seed, as the authors recommend. One per environment, so an environment's resets depend only on its own
/// seed and on how many resets it has had, never on the other environments.</summary>
/// <remarks>A mutable struct held in an array and advanced through a reference; copying it forks the stream.</remarks>
internal struct Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the generator: s0..s3 = four successive splitmix64 outputs starting from <paramref name="seed"/>.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>splitmix64 (Steele, Lea and Flood, 2014): advances <paramref name="x"/> by the golden-ratio gamma and
    /// mixes it. Never yields an all-zero xoshiro state in practice (four outputs of a bijection of distinct inputs).</summary>
    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A double in [0, 1): the top 53 bits times 2^-53, as numpy's <c>Generator.random</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>U(low, high) as numpy's <c>Generator.uniform</c>: low + (high − low)·u with u in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();
}
