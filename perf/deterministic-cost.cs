#:project ../engine/ArenaGrad.csproj
#:property Optimize=true

// The harness behind perf/RESULTS.md's "Cost of ArenaOptions.Deterministic" table: GFLOP/s of a 256x256 matrix
// product through the public API, with Deterministic true and false. Run one setting per fresh process and
// alternate them (the VM swings between minutes), for example:
//   for i in 1 2 3; do for d in true false; do dotnet run -c Release perf/deterministic-cost.cs -- $d; done; done
//   DOTNET_EnableAVX2=0 dotnet run -c Release perf/deterministic-cost.cs -- true        (SSE, no FMA: exact fma in software)
//   DOTNET_EnableHWIntrinsic=0 dotnet run -c Release perf/deterministic-cost.cs -- false (scalar)
// Each run warms up for 1.5 s, then prints the median of 15 samples of at least 100 ms each.
using System;
using System.Diagnostics;
using System.Globalization;
using ArenaGrad;

const int Size = 256, Samples = 15;
bool deterministic = args.Length == 0 || bool.Parse(args[0]);
double flopsPerCall = 2.0 * Size * Size * Size;

using var arena = new Arena(new ArenaOptions { Deterministic = deterministic, Seed = 1 });
Tensor a = arena.Randn([Size, Size]), b = arena.Randn([Size, Size]);

var warmUp = Stopwatch.StartNew();
while (warmUp.Elapsed.TotalSeconds < 1.5) Product(a, b, arena);

double[] gflops = new double[Samples];
for (int s = 0; s < Samples; s++)
{
    long calls = 0;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalMilliseconds < 100 || calls < 3)
    {
        Product(a, b, arena);
        calls++;
    }
    gflops[s] = calls * flopsPerCall / clock.Elapsed.TotalSeconds / 1e9;
}
Array.Sort(gflops);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Deterministic = {deterministic}: median {gflops[Samples / 2]:0.00} GFLOP/s (range {gflops[0]:0.00}-{gflops[^1]:0.00}) over {Samples} samples, matmul {Size}x{Size}"));

static void Product(Tensor a, Tensor b, Arena arena)
{
    using (arena.Scope()) _ = a.MatMul(b);
}
