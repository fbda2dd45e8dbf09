using System;
using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace ArenaGrad.Train;

/// <summary>Command line of the main job; the work is in <see cref="SpiralTraining.Run"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var defaults = new TrainOptions();
        var steps = new Option<int>("--steps", "-n") { Description = "Optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the data, the initial weights and the batch order", DefaultValueFactory = _ => defaults.Seed };
        var learningRate = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the PNGs and model.safetensors", DefaultValueFactory = _ => defaults.OutputDirectory };
        var points = new Option<int>("--points") { Description = "Points in the data set (even; half per spiral)", DefaultValueFactory = _ => defaults.Points };
        var hidden = new Option<int>("--hidden") { Description = "Width of both hidden layers", DefaultValueFactory = _ => defaults.Hidden };
        var batch = new Option<int>("--batch") { Description = "Points per step; 0 = the full data set", DefaultValueFactory = _ => defaults.BatchSize };

        var root = new RootCommand("ArenaGrad main job: trains an MLP with Adam to separate two interleaved spirals, " +
            "then prints a summary (loss, accuracy, steps/s, managed bytes per step, GC count) and writes PNGs and weights.")
        {
            steps, seed, learningRate, output, points, hidden, batch,
        };
        root.SetAction(parsed =>
        {
            var options = new TrainOptions
            {
                Steps = parsed.GetValue(steps),
                Seed = parsed.GetValue(seed),
                LearningRate = parsed.GetValue(learningRate),
                OutputDirectory = parsed.GetValue(output) ?? defaults.OutputDirectory,
                Points = parsed.GetValue(points),
                Hidden = parsed.GetValue(hidden),
                BatchSize = parsed.GetValue(batch),
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
            return SpiralTraining.Run(options, AnsiConsole.Console).ExitCode;
        });
        return root.Parse(args).Invoke();
    }
}
