namespace ArenaGrad.Nn;

/// <summary>What the recurrent layers' <c>Step</c> checks before it runs <see cref="Kernels.RecurrentStep"/> straight on
/// native memory. Anything it does not take (another arena's tensor, a released one, another dtype, a shape the general
/// path would refuse, a step being captured or traced, a read-only state) goes the general way, which gives PyTorch's
/// message or the result; so the fast path never has to reproduce a message.</summary>
internal static unsafe class FastStep
{
    /// <summary>Whether <paramref name="arena"/> may step outside its op machinery: a capture or a trace must see (or
    /// refuse) the step's ops.</summary>
    public static bool Allowed(Arena? arena) => arena is not null && !arena.IsCapturing && !arena.IsTracing;

    /// <summary>The slot of a live Float32 tensor of <paramref name="arena"/> with at least one element, or -1.</summary>
    public static int Slot(Arena arena, Tensor tensor)
    {
        if (!ReferenceEquals(tensor.Owner, arena) || !tensor.IsAlive) return -1;
        int slot = tensor.Slot;
        return arena.DTypeOf(slot) == DType.Float32 && arena.LengthOf(slot) > 0 ? slot : -1;
    }

    /// <summary>The values of a parameter <see cref="Slot"/> accepts, or null (also for a missing bias: check
    /// <paramref name="tensor"/> itself).</summary>
    public static float* Values(Arena arena, Tensor? tensor)
    {
        if (tensor is not Tensor t) return null;
        int slot = Slot(arena, t);
        return slot < 0 ? null : (float*)arena.ValuesAddress(slot);
    }

    /// <summary>The values of <paramref name="slot"/>.</summary>
    public static float* Values(Arena arena, int slot) => (float*)arena.ValuesAddress(slot);

    /// <summary>Whether a state tensor may be written in place: PyTorch's copy_ into it would be allowed under no-grad.</summary>
    public static bool Writable(Arena arena, int slot) => !arena.IsReadOnly(slot);

    /// <summary>Whether the values of two slots share any memory.</summary>
    public static bool Overlap(Arena arena, int a, int b)
    {
        nint pa = arena.ValuesAddress(a), pb = arena.ValuesAddress(b);
        return pa < pb + (nint)arena.LengthOf(b) * sizeof(float) && pb < pa + (nint)arena.LengthOf(a) * sizeof(float);
    }

    /// <summary>Whether a weight and its optional bias are usable (present bias included).</summary>
    public static bool Usable(float* weight, Tensor? bias, float* biasValues) => weight != null && (bias is null || biasValues != null);
}
