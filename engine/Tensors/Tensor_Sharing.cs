namespace ArenaGrad;

public readonly partial struct Tensor
{
    /// <summary>The slot index, unvalidated (for borrowing from a frozen arena, whose handles no thread validates).</summary>
    internal int RawSlot => _slot;

    /// <summary>The generation, unvalidated (see <see cref="RawSlot"/>).</summary>
    internal ulong RawGeneration => _generation;
}
