namespace ArenaGrad;

/// <summary>Sizes and limits of an <see cref="Arena"/>.</summary>
public sealed record ArenaOptions
{
    /// <summary>Bytes in each native block of values and gradients (a bigger tensor gets a block of its own).
    /// Default 4 MiB.</summary>
    public long BlockBytes { get; init; } = 4 << 20;

    /// <summary>The most native bytes of values and gradients the arena may reserve. Default: no cap.</summary>
    public long MaxBytes { get; init; } = long.MaxValue;

    /// <summary>Seed of the arena's random generator (<see cref="Arena.Rand"/>, <see cref="Arena.Randn"/>).</summary>
    public ulong Seed { get; init; } = 0x5EED;
}
