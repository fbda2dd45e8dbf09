using BenchmarkDotNet.Running;

namespace ArenaGrad.Benchmarks;

/// <summary>Entry point: <c>BenchmarkSwitcher</c>, so BenchmarkDotNet's command line (<c>--filter</c>,
/// <c>--job short</c>, <c>--list flat</c>, ...) works. See perf/README.md.</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
