namespace ArenaGrad;

/// <summary>What an <see cref="ArenaPool"/> makes and what it keeps: the options of new arenas, how many arenas it
/// keeps, and how much native memory a returned arena may keep.</summary>
public sealed record ArenaPoolPolicy
{
    private readonly ArenaOptions _arenaOptions = new();
    private readonly long _maxRetainedBytes = 16 << 20;
    private readonly int _maximumRetained = Environment.ProcessorCount * 2;

    /// <summary>Options of the arenas the pool makes. Default: <c>new ArenaOptions()</c>.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public ArenaOptions ArenaOptions
    {
        get => _arenaOptions;
        init => _arenaOptions = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The most native bytes (<see cref="Arena.ReservedBytes"/>) a returned arena may keep. An arena that
    /// reserved more is trimmed (its empty blocks freed, last first, until it fits) or, with <see cref="TrimOversized"/>
    /// false, disposed instead of kept. 0 keeps no blocks. Default 16 MiB.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 0.</exception>
    public long MaxRetainedBytes
    {
        get => _maxRetainedBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxRetainedBytes = value;
        }
    }

    /// <summary>Whether an arena over <see cref="MaxRetainedBytes"/> is trimmed and kept (true, the default) or disposed,
    /// so that the pool makes a fresh one when it runs short.</summary>
    public bool TrimOversized { get; init; } = true;

    /// <summary>How many returned arenas the pool keeps; one returned while it holds that many is disposed. Default:
    /// twice the processor count (ObjectPool's default).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public int MaximumRetained
    {
        get => _maximumRetained;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maximumRetained = value;
        }
    }
}
