namespace ArenaGrad;

/// <summary>Thrown when an allocation would take an arena past <see cref="ArenaOptions.MaxBytes"/>, or when the
/// system cannot provide the memory. The arena and its tape are left exactly as they were.</summary>
public sealed class ArenaCapacityException : InvalidOperationException
{
    /// <summary>Bytes the failed request asked for.</summary>
    public long RequestedBytes { get; }

    /// <summary>Bytes still available under the cap when the request came.</summary>
    public long AvailableBytes { get; }

    /// <summary>The cap in force.</summary>
    public long MaxBytes { get; }

    internal ArenaCapacityException(long requestedBytes, long availableBytes, long maxBytes)
        : this(requestedBytes, availableBytes, maxBytes,
               $"Arena capacity exceeded: asked for {requestedBytes} bytes but only {availableBytes} of the " +
               $"{maxBytes}-byte cap are left. Raise ArenaOptions.MaxBytes, or release tensors sooner with arena.Scope().")
    {
    }

    private ArenaCapacityException(long requestedBytes, long availableBytes, long maxBytes, string message)
        : base(message)
    {
        RequestedBytes = requestedBytes;
        AvailableBytes = availableBytes;
        MaxBytes = maxBytes;
    }

    /// <summary>The operating system could not provide a native block of <paramref name="requestedBytes"/>,
    /// though the cap allowed it.</summary>
    internal static ArenaCapacityException SystemRefused(long requestedBytes, long reservedBytes, long maxBytes) =>
        new(requestedBytes, 0, maxBytes,
            $"Arena capacity exceeded: the system could not provide a native block of {requestedBytes} bytes " +
            $"(the arena holds {reservedBytes} bytes already). Lower ArenaOptions.BlockBytes or ArenaOptions.MaxBytes, " +
            "make smaller tensors, or release tensors sooner with arena.Scope().");
}
