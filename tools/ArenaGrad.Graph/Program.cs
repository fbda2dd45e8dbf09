using System;
using System.CommandLine;

namespace ArenaGrad.Graph;

/// <summary>Command line of the graph tool; the work is in <see cref="FrozenExtractorGraph.Run"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var defaults = new GraphOptions();
        var output = new Option<string>("--out", "-o") { Description = "Folder for graph.dot and graph.svg", DefaultValueFactory = _ => defaults.OutputDirectory };
        var width = new Option<int>("--width") { Description = "Width of the frozen extractor's layers", DefaultValueFactory = _ => defaults.Width };
        var batch = new Option<int>("--batch") { Description = "Rows in the batch", DefaultValueFactory = _ => defaults.Batch };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the weights and the data", DefaultValueFactory = _ => defaults.Seed };
        var dot = new Option<string>("--dot") { Description = "Graphviz's dot program (a name on PATH or a path)", DefaultValueFactory = _ => defaults.DotCommand };

        var root = new RootCommand("ArenaGrad graph pictures: runs one training step of a model whose MLP feature extractor is " +
            "frozen (requires_grad off) and whose head trains, under a trace, and writes the step's graph as graph.dot, and " +
            "graph.svg when Graphviz's dot is installed. Frozen ops are grey, ops the backward ran are amber.")
        {
            output, width, batch, seed, dot,
        };
        root.SetAction(parsed =>
        {
            var options = new GraphOptions
            {
                OutputDirectory = parsed.GetValue(output) ?? defaults.OutputDirectory,
                Width = parsed.GetValue(width),
                Batch = parsed.GetValue(batch),
                Seed = parsed.GetValue(seed),
                DotCommand = parsed.GetValue(dot) ?? defaults.DotCommand,
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            return FrozenExtractorGraph.Run(options, Console.Out).ExitCode;
        });
        return root.Parse(args).Invoke();
    }
}
