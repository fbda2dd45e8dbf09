#:project ../engine/ArenaGrad.csproj
#:property Optimize=true
#:property AllowUnsafeBlocks=true

// A/B harness for the packed GEMM: n x n x n products (NN, a.MatMul(b) under no-grad in a scope, as
// GemmBenchmarks.SgemmNN) on 1 and 2 threads, with the FMA peak of one core measured in the same process. Run it from
// two checkouts (say main and a branch) in alternation and compare the lines, for example:
//   for i in 1 2 3; do for t in /work/main /work/wt-x; do (cd $t && dotnet run -c Release perf/gemm-ab.cs -- $t); done; done
//   DOTNET_EnableAVX512=0 dotnet run -c Release perf/gemm-ab.cs -- avx2     (the AVX2 kernels on an AVX-512 machine)
// Arguments: a label, then optionally sizes (256,512,1024) and thread counts (1,2).
// Per case it prints the median wall time, the fastest call, and the median CPU time of the calling thread, each
// also as a fraction of the peak (two threads: wall time against one core's peak, so 2.0 is perfect scaling). The CPU
// time is what one thread spent running, so it holds still when other processes share the cores; wall times of two
// threads mean something only on an otherwise idle machine. The peak is 12 independent FMA chains at the widest
// accelerated width (as FmaPeakBenchmarks), timed by CPU time too. Linux only (clock_gettime).
using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using ArenaGrad;

string label = args.Length > 0 ? args[0] : "gemm";
int[] sizes = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [256, 512, 1024];
int[] threadCounts = args.Length > 2 ? args[2].Split(',').Select(int.Parse).ToArray() : [1, 2];

int lanes = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;
const int PeakTrips = 1 << 20;
Timing peakTiming = Measure(() => Peak.Run(PeakTrips), 0.3, 30);
double peakGflops = PeakTrips * 12.0 * 2 * lanes / peakTiming.MedianCpuMs / 1e6;
var line = new StringBuilder($"{label}: {lanes * 32} bit, peak {peakGflops:F1} GFLOP/s");
foreach (int threads in threadCounts)
{
    foreach (int n in sizes)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3, BlockBytes = 16 << 20, IntraOpThreads = threads });
        Tensor a = arena.Randn([n, n]), b = arena.Randn([n, n]);
        float Product()
        {
            using (arena.Scope())
            using (arena.NoGrad())
                return a.MatMul(b).AsSpanUnsafely()[0];
        }
        Timing t = Measure(Product, 1.0, n <= 256 ? 400 : n <= 512 ? 100 : 30);
        double flops = 2.0 * n * n * n;
        double Fraction(double ms) => flops / ms / 1e6 / peakGflops;
        line.Append($" | t{threads} n{n}: {t.MedianMs:F3} ms ({Fraction(t.MedianMs):F3}), min {t.MinMs:F3} ({Fraction(t.MinMs):F3}), " +
                    $"cpu {t.MedianCpuMs:F3} ({Fraction(t.MedianCpuMs):F3})");
    }
}
Console.WriteLine(line);

static Timing Measure(Func<float> call, double warmUpSeconds, int samples)
{
    var warmUp = Stopwatch.StartNew();
    while (warmUp.Elapsed.TotalSeconds < warmUpSeconds) call();
    double[] wall = new double[samples], cpu = new double[samples];
    for (int i = 0; i < samples; i++)
    {
        long cpuStart = ThreadCpu.Nanoseconds(), start = Stopwatch.GetTimestamp();
        call();
        wall[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        cpu[i] = (ThreadCpu.Nanoseconds() - cpuStart) / 1e6;
    }
    Array.Sort(wall);
    Array.Sort(cpu);
    return new Timing(wall[samples / 2], wall[0], cpu[samples / 2]);
}

readonly record struct Timing(double MedianMs, double MinMs, double MedianCpuMs);

static unsafe class ThreadCpu
{
    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, long* timespec);

    public static long Nanoseconds()
    {
        long* timespec = stackalloc long[2];
        if (ClockGetTime(ClockThreadCpuTime, timespec) != 0) throw new InvalidOperationException("clock_gettime failed");
        return timespec[0] * 1_000_000_000L + timespec[1];
    }
}

static class Peak
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Run(int trips) =>
        Vector512.IsHardwareAccelerated ? Chains<Vector512<float>>(trips) :
        Vector256.IsHardwareAccelerated ? Chains<Vector256<float>>(trips) : Chains<Vector128<float>>(trips);

    // 12 independent chains: enough to cover the FMA latency on every current x64 core.
    private static float Chains<TV>(int trips) where TV : struct
    {
        TV x = Splat<TV>(0.999f), y = Splat<TV>(1.0001f);
        TV c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        TV c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < trips; i++)
        {
            c0 = Fma(x, y, c0); c1 = Fma(x, y, c1); c2 = Fma(x, y, c2); c3 = Fma(x, y, c3);
            c4 = Fma(x, y, c4); c5 = Fma(x, y, c5); c6 = Fma(x, y, c6); c7 = Fma(x, y, c7);
            c8 = Fma(x, y, c8); c9 = Fma(x, y, c9); c10 = Fma(x, y, c10); c11 = Fma(x, y, c11);
        }
        TV sum = Fma(c0, y, Fma(c1, y, Fma(c2, y, Fma(c3, y, Fma(c4, y, Fma(c5, y, Fma(c6, y, Fma(c7, y, Fma(c8, y, Fma(c9, y, Fma(c10, y, c11)))))))))));
        return Unsafe.As<TV, float>(ref sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Splat<TV>(float value) where TV : struct
    {
        if (typeof(TV) == typeof(Vector512<float>)) return (TV)(object)Vector512.Create(value);
        if (typeof(TV) == typeof(Vector256<float>)) return (TV)(object)Vector256.Create(value);
        return (TV)(object)Vector128.Create(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Fma<TV>(TV a, TV b, TV c) where TV : struct
    {
        if (typeof(TV) == typeof(Vector512<float>))
            return (TV)(object)Vector512.FusedMultiplyAdd((Vector512<float>)(object)a, (Vector512<float>)(object)b, (Vector512<float>)(object)c);
        if (typeof(TV) == typeof(Vector256<float>))
            return (TV)(object)Vector256.FusedMultiplyAdd((Vector256<float>)(object)a, (Vector256<float>)(object)b, (Vector256<float>)(object)c);
        return (TV)(object)Vector128.FusedMultiplyAdd((Vector128<float>)(object)a, (Vector128<float>)(object)b, (Vector128<float>)(object)c);
    }
}
