using System;
using System.CommandLine;

namespace ArenaGrad.Soak;

/// <summary>Command line of the soak tool; the work is in <see cref="SoakRun"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var defaults = new SoakOptions();
        var steps = new Option<long>("--steps", "-n") { Description = "Training steps", DefaultValueFactory = _ => defaults.Steps };
        var warmup = new Option<long>("--warmup") { Description = "Steps before the baseline is taken (JIT, first blocks)", DefaultValueFactory = _ => defaults.WarmupSteps };
        var reports = new Option<int>("--reports") { Description = "Report lines after warm-up", DefaultValueFactory = _ => defaults.Reports };
        var batch = new Option<int>("--batch") { Description = "Rows per step", DefaultValueFactory = _ => defaults.Batch };
        var hidden = new Option<int>("--hidden") { Description = "Width of both hidden layers", DefaultValueFactory = _ => defaults.Hidden };
        var root = new RootCommand(
            "ArenaGrad soak: trains an MLP (2-h-h-2, tanh, cross-entropy, SGD) step after step, one arena scope per step, and " +
            "reports managed bytes allocated, GC counts, the arena's reserved bytes, blocks, tensor count and tape length. " +
            "Exits 1 if any of them grows after warm-up.")
        {
            steps, warmup, reports, batch, hidden,
        };
        root.SetAction(parsed =>
        {
            var options = new SoakOptions
            {
                Steps = parsed.GetValue(steps),
                WarmupSteps = parsed.GetValue(warmup),
                Reports = parsed.GetValue(reports),
                Batch = parsed.GetValue(batch),
                Hidden = parsed.GetValue(hidden),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException error)
            {
                Console.Error.WriteLine($"ArenaGrad.Soak: {error.Message}");
                return 2;
            }
            SoakResult result = SoakRun.Run(options, Console.Out);
            return result.Flat ? 0 : 1;
        });
        return root.Parse(args).Invoke();
    }
}
