using ArenaGrad.Kernels.Gemm;

namespace ArenaGrad;

/// <summary>Sizes and limits of an <see cref="Arena"/>.</summary>
public sealed record ArenaOptions
{
    /// <summary>The largest <see cref="BlockBytes"/>: 2^31 floats (8 GiB), more than any one tensor can use.</summary>
    public const long MaxBlockBytes = (1L << 31) * sizeof(float);

    /// <summary>Bytes in each native block of values and gradients, 1 to <see cref="MaxBlockBytes"/>; a tensor
    /// bigger than a block gets a block of exactly its size. When the system cannot provide a full block, the
    /// arena falls back to a block of exactly what was asked, then throws <see cref="ArenaCapacityException"/>.
    /// Default 4 MiB.</summary>
    public long BlockBytes { get; init; } = 4 << 20;

    /// <summary>The most native bytes of values and gradients the arena may reserve. Default: no cap.</summary>
    public long MaxBytes { get; init; } = long.MaxValue;

    /// <summary>The largest <see cref="IntraOpThreads"/>.</summary>
    public const int MaxIntraOpThreads = 256;

    /// <summary>Threads that share one large matrix product (matmul, linear and their backward products), as
    /// PyTorch's <c>torch.set_num_threads</c>: the calling thread plus <c>IntraOpThreads - 1</c> workers the arena
    /// starts and stops with itself. Products are split over output rows or columns, never over the summed
    /// dimension, so every thread count gives the same bits. Default 1: no threads are started.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Whether results are bitwise the same on every machine: every instruction set (AVX-512, AVX2, SSE,
    /// Arm64, scalar), .NET 8 and 10, JIT and NativeAOT, and any <see cref="IntraOpThreads"/>.</summary>
    /// <remarks>Reductions, transcendentals and thread splits are the same everywhere regardless; the one thing this
    /// decides is the matrix products' multiply-adds, which then always round once (fused). On every CPU with fused
    /// multiply-add (x64 with AVX2, all Arm64) that is what the hardware does, so it costs nothing, and the default
    /// is true. On an older x64 CPU the fusing is done in software, 8-30x slower, so there the default is false and
    /// products round twice (other bits than everywhere else, but the same from run to run on that machine). Set it
    /// to true for lockstep or replays across machines that include such CPUs.</remarks>
    public bool Deterministic { get; init; } = FusedMultiplyAdd.InHardware;

    /// <summary>Seed of the arena's random generator (<see cref="Arena.Rand"/>, <see cref="Arena.Randn"/>).</summary>
    public ulong Seed { get; init; } = 0x5EED;
}
