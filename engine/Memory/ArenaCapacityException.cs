namespace ArenaGrad;

/// <summary>Thrown when an allocation would take an arena past <see cref="ArenaOptions.MaxBytes"/>.
/// The arena and its tape are left exactly as they were.</summary>
public sealed class ArenaCapacityException : InvalidOperationException
{
    /// <summary>Bytes the failed request asked for.</summary>
    public long RequestedBytes { get; }

    /// <summary>Bytes still available under the cap when the request came.</summary>
    public long AvailableBytes { get; }

    /// <summary>The cap in force.</summary>
    public long MaxBytes { get; }

    internal ArenaCapacityException(long requestedBytes, long availableBytes, long maxBytes)
        : base($"Arena capacity exceeded: asked for {requestedBytes} bytes but only {availableBytes} of the " +
               $"{maxBytes}-byte cap are left. Raise ArenaOptions.MaxBytes, or release tensors sooner with arena.Scope().")
    {
        RequestedBytes = requestedBytes;
        AvailableBytes = availableBytes;
        MaxBytes = maxBytes;
    }
}
