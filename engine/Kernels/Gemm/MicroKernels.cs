using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels.Gemm;

/// <summary>How a micro-kernel computes a·b + c: the only choice in the GEMM that can change an element's bits.</summary>
internal interface IMultiplyAdd
{
    /// <summary>a·b + c in scalars.</summary>
    static abstract float Of(float a, float b, float c);

    /// <summary>a·b + c in 4 lanes.</summary>
    static abstract Vector128<float> Of(Vector128<float> a, Vector128<float> b, Vector128<float> c);

    /// <summary>a·b + c in 8 lanes.</summary>
    static abstract Vector256<float> Of(Vector256<float> a, Vector256<float> b, Vector256<float> c);

    /// <summary>a·b + c in 16 lanes.</summary>
    static abstract Vector512<float> Of(Vector512<float> a, Vector512<float> b, Vector512<float> c);
}

/// <summary>a·b + c rounded once, on every path and machine: the instruction where the CPU has it (every x64 CPU with
/// AVX2, every Arm64 CPU), else <see cref="ExactFma"/> in double precision, several times slower. Deterministic arenas
/// use this.</summary>
internal readonly struct FusedMultiplyAdd : IMultiplyAdd
{
    /// <summary>Whether the CPU fuses in hardware (a JIT-time constant): then fusing costs nothing.</summary>
    public static bool InHardware
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(float a, float b, float c) => InHardware ? MathF.FusedMultiplyAdd(a, b, c) : ExactFma.Of(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Of(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        InHardware ? Vector128.FusedMultiplyAdd(a, b, c) : ExactFma.Of(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Of(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? Vector256.FusedMultiplyAdd(a, b, c) : InSoftware(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Of(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? Vector512.FusedMultiplyAdd(a, b, c) : InSoftware(a, b, c);

    // Only x64 accelerates 256- and 512-bit vectors, so the wide forms test Fma.IsSupported alone, which the JIT folds
    // when it imports the call. With InHardware ("x64 or Arm") the software branch survived into register allocation
    // and made it emit the 213 form of FMA plus a register move for half the accumulators (6 extra instructions per
    // step of the 6 × 16 kernel). The software forms stay out of line.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> InSoftware(Vector256<float> a, Vector256<float> b, Vector256<float> c) => ExactFma.Of(a, b, c);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<float> InSoftware(Vector512<float> a, Vector512<float> b, Vector512<float> c) => ExactFma.Of(a, b, c);
}

/// <summary>a·b, rounded, then + c, rounded: what a CPU without fused multiply-add does natively. Only
/// non-deterministic arenas on such CPUs use it (<see cref="ArenaOptions.Deterministic"/>).</summary>
internal readonly struct SeparateMultiplyAdd : IMultiplyAdd
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(float a, float b, float c) => a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Of(Vector128<float> a, Vector128<float> b, Vector128<float> c) => a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Of(Vector256<float> a, Vector256<float> b, Vector256<float> c) => a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Of(Vector512<float> a, Vector512<float> b, Vector512<float> c) => a * b + c;
}

/// <summary>A register-blocked GEMM micro-kernel: C[Rows, Columns] (= | +=) Σₚ A[:, p] ⊗ B[p, :] over packed panels.</summary>
/// <remarks>Every kernel keeps one accumulator per output element, starts it at zero and adds the products in
/// order p = 0, 1, ... with its <see cref="IMultiplyAdd"/>, then merges it into C once. So an element's bits depend only
/// on the k-blocking (<see cref="GemmBlocking.K"/>), never on the vector width, the machine or the tile it falls in.</remarks>
internal unsafe interface IMicroKernel
{
    /// <summary>Rows of C per tile (MR): how many A values are broadcast per step of p.</summary>
    static abstract int Rows { get; }

    /// <summary>Columns of C per tile (NR): a whole number of vectors.</summary>
    static abstract int Columns { get; }

    /// <summary>C tile (row stride <paramref name="ldc"/>) = or += the product of an A micro-panel (kc × Rows,
    /// p-major) and a B micro-panel (kc × Columns, p-major).</summary>
    static abstract void Run(float* a, float* b, int kc, float* c, nint ldc, bool overwrite);
}

/// <summary>12 × 32 on Vector512: 24 accumulators, 2 loads of B and 12 broadcasts of A per p (27 of 32 registers).</summary>
internal readonly unsafe struct MicroKernel512<TMultiplyAdd> : IMicroKernel
    where TMultiplyAdd : IMultiplyAdd
{
    public static int Rows => 12;
    public static int Columns => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* a, float* b, int kc, float* c, nint ldc, bool overwrite)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < kc; p++, a += 12, b += 32)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16), x;
            x = Vector512.Create(a[0]);  c00 = TMultiplyAdd.Of(x, b0, c00); c01 = TMultiplyAdd.Of(x, b1, c01);
            x = Vector512.Create(a[1]);  c10 = TMultiplyAdd.Of(x, b0, c10); c11 = TMultiplyAdd.Of(x, b1, c11);
            x = Vector512.Create(a[2]);  c20 = TMultiplyAdd.Of(x, b0, c20); c21 = TMultiplyAdd.Of(x, b1, c21);
            x = Vector512.Create(a[3]);  c30 = TMultiplyAdd.Of(x, b0, c30); c31 = TMultiplyAdd.Of(x, b1, c31);
            x = Vector512.Create(a[4]);  c40 = TMultiplyAdd.Of(x, b0, c40); c41 = TMultiplyAdd.Of(x, b1, c41);
            x = Vector512.Create(a[5]);  c50 = TMultiplyAdd.Of(x, b0, c50); c51 = TMultiplyAdd.Of(x, b1, c51);
            x = Vector512.Create(a[6]);  c60 = TMultiplyAdd.Of(x, b0, c60); c61 = TMultiplyAdd.Of(x, b1, c61);
            x = Vector512.Create(a[7]);  c70 = TMultiplyAdd.Of(x, b0, c70); c71 = TMultiplyAdd.Of(x, b1, c71);
            x = Vector512.Create(a[8]);  c80 = TMultiplyAdd.Of(x, b0, c80); c81 = TMultiplyAdd.Of(x, b1, c81);
            x = Vector512.Create(a[9]);  c90 = TMultiplyAdd.Of(x, b0, c90); c91 = TMultiplyAdd.Of(x, b1, c91);
            x = Vector512.Create(a[10]); cA0 = TMultiplyAdd.Of(x, b0, cA0); cA1 = TMultiplyAdd.Of(x, b1, cA1);
            x = Vector512.Create(a[11]); cB0 = TMultiplyAdd.Of(x, b0, cB0); cB1 = TMultiplyAdd.Of(x, b1, cB1);
        }
        Merge(c, c00, overwrite); Merge(c + 16, c01, overwrite); c += ldc;
        Merge(c, c10, overwrite); Merge(c + 16, c11, overwrite); c += ldc;
        Merge(c, c20, overwrite); Merge(c + 16, c21, overwrite); c += ldc;
        Merge(c, c30, overwrite); Merge(c + 16, c31, overwrite); c += ldc;
        Merge(c, c40, overwrite); Merge(c + 16, c41, overwrite); c += ldc;
        Merge(c, c50, overwrite); Merge(c + 16, c51, overwrite); c += ldc;
        Merge(c, c60, overwrite); Merge(c + 16, c61, overwrite); c += ldc;
        Merge(c, c70, overwrite); Merge(c + 16, c71, overwrite); c += ldc;
        Merge(c, c80, overwrite); Merge(c + 16, c81, overwrite); c += ldc;
        Merge(c, c90, overwrite); Merge(c + 16, c91, overwrite); c += ldc;
        Merge(c, cA0, overwrite); Merge(c + 16, cA1, overwrite); c += ldc;
        Merge(c, cB0, overwrite); Merge(c + 16, cB1, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Merge(float* c, Vector512<float> sum, bool overwrite) =>
        (overwrite ? sum : Vector512.Load(c) + sum).Store(c);
}

/// <summary>6 × 16 on Vector256: 12 accumulators, 2 loads of B and 6 broadcasts of A per p (15 of 16 registers).</summary>
internal readonly unsafe struct MicroKernel256<TMultiplyAdd> : IMicroKernel
    where TMultiplyAdd : IMultiplyAdd
{
    public static int Rows => 6;
    public static int Columns => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* a, float* b, int kc, float* c, nint ldc, bool overwrite)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 16)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8), x;
            x = Vector256.Create(a[0]); c00 = TMultiplyAdd.Of(x, b0, c00); c01 = TMultiplyAdd.Of(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = TMultiplyAdd.Of(x, b0, c10); c11 = TMultiplyAdd.Of(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = TMultiplyAdd.Of(x, b0, c20); c21 = TMultiplyAdd.Of(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = TMultiplyAdd.Of(x, b0, c30); c31 = TMultiplyAdd.Of(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = TMultiplyAdd.Of(x, b0, c40); c41 = TMultiplyAdd.Of(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = TMultiplyAdd.Of(x, b0, c50); c51 = TMultiplyAdd.Of(x, b1, c51);
        }
        Merge(c, c00, overwrite); Merge(c + 8, c01, overwrite); c += ldc;
        Merge(c, c10, overwrite); Merge(c + 8, c11, overwrite); c += ldc;
        Merge(c, c20, overwrite); Merge(c + 8, c21, overwrite); c += ldc;
        Merge(c, c30, overwrite); Merge(c + 8, c31, overwrite); c += ldc;
        Merge(c, c40, overwrite); Merge(c + 8, c41, overwrite); c += ldc;
        Merge(c, c50, overwrite); Merge(c + 8, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Merge(float* c, Vector256<float> sum, bool overwrite) =>
        (overwrite ? sum : Vector256.Load(c) + sum).Store(c);
}

/// <summary>6 × 8 on Vector128: 12 accumulators, 2 loads of B and 6 broadcasts of A per p (15 of 16 registers).</summary>
internal readonly unsafe struct MicroKernel128<TMultiplyAdd> : IMicroKernel
    where TMultiplyAdd : IMultiplyAdd
{
    public static int Rows => 6;
    public static int Columns => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* a, float* b, int kc, float* c, nint ldc, bool overwrite)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 8)
        {
            Vector128<float> b0 = Vector128.Load(b), b1 = Vector128.Load(b + 4), x;
            x = Vector128.Create(a[0]); c00 = TMultiplyAdd.Of(x, b0, c00); c01 = TMultiplyAdd.Of(x, b1, c01);
            x = Vector128.Create(a[1]); c10 = TMultiplyAdd.Of(x, b0, c10); c11 = TMultiplyAdd.Of(x, b1, c11);
            x = Vector128.Create(a[2]); c20 = TMultiplyAdd.Of(x, b0, c20); c21 = TMultiplyAdd.Of(x, b1, c21);
            x = Vector128.Create(a[3]); c30 = TMultiplyAdd.Of(x, b0, c30); c31 = TMultiplyAdd.Of(x, b1, c31);
            x = Vector128.Create(a[4]); c40 = TMultiplyAdd.Of(x, b0, c40); c41 = TMultiplyAdd.Of(x, b1, c41);
            x = Vector128.Create(a[5]); c50 = TMultiplyAdd.Of(x, b0, c50); c51 = TMultiplyAdd.Of(x, b1, c51);
        }
        Merge(c, c00, overwrite); Merge(c + 4, c01, overwrite); c += ldc;
        Merge(c, c10, overwrite); Merge(c + 4, c11, overwrite); c += ldc;
        Merge(c, c20, overwrite); Merge(c + 4, c21, overwrite); c += ldc;
        Merge(c, c30, overwrite); Merge(c + 4, c31, overwrite); c += ldc;
        Merge(c, c40, overwrite); Merge(c + 4, c41, overwrite); c += ldc;
        Merge(c, c50, overwrite); Merge(c + 4, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Merge(float* c, Vector128<float> sum, bool overwrite) =>
        (overwrite ? sum : Vector128.Load(c) + sum).Store(c);
}

/// <summary>4 × 4 in scalars, with the same <typeparamref name="TMultiplyAdd"/> per product as the vector kernels, so the
/// scalar path gives the same bits.</summary>
internal readonly unsafe struct MicroKernelScalar<TMultiplyAdd> : IMicroKernel
    where TMultiplyAdd : IMultiplyAdd
{
    public static int Rows => 4;
    public static int Columns => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* a, float* b, int kc, float* c, nint ldc, bool overwrite)
    {
        float* sums = stackalloc float[16];
        new Span<float>(sums, 16).Clear();
        for (int p = 0; p < kc; p++, a += 4, b += 4)
        {
            for (int r = 0; r < 4; r++)
            {
                float x = a[r];
                float* row = sums + r * 4;
                row[0] = TMultiplyAdd.Of(x, b[0], row[0]);
                row[1] = TMultiplyAdd.Of(x, b[1], row[1]);
                row[2] = TMultiplyAdd.Of(x, b[2], row[2]);
                row[3] = TMultiplyAdd.Of(x, b[3], row[3]);
            }
        }
        for (int r = 0; r < 4; r++, c += ldc)
        {
            for (int j = 0; j < 4; j++) c[j] = overwrite ? sums[r * 4 + j] : c[j] + sums[r * 4 + j];
        }
    }
}
