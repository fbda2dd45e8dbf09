using System;
using System.CommandLine;
using Spectre.Console;

namespace ArenaGrad.Sequence;

/// <summary>Command line of the sequence demo; the work is in <see cref="SequenceFit.Run"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var d = new SequenceOptions();
        var steps = new Option<int>("--steps", "-n") { Description = "Adam steps (one BPTT chunk per stream each)", DefaultValueFactory = _ => d.Steps };
        var learningRate = new Option<float>("--lr") { Description = "Adam's starting learning rate (cosine-annealed to 0)", DefaultValueFactory = _ => d.LearningRate };
        var hidden = new Option<int>("--hidden") { Description = "Units of the GRU's hidden state", DefaultValueFactory = _ => d.Hidden };
        var layers = new Option<int>("--layers") { Description = "Stacked GRU layers", DefaultValueFactory = _ => d.Layers };
        var streams = new Option<int>("--streams") { Description = "Parallel streams through the training trajectory (the batch)", DefaultValueFactory = _ => d.Streams };
        var chunk = new Option<int>("--chunk") { Description = "Samples per truncated-BPTT chunk", DefaultValueFactory = _ => d.Chunk };
        var dt = new Option<double>("--dt") { Description = "Time between samples, in Lorenz time units", DefaultValueFactory = _ => d.Dt };
        var trainSamples = new Option<int>("--train-samples") { Description = "Samples of the training trajectory", DefaultValueFactory = _ => d.TrainSamples };
        var freeRun = new Option<int>("--free-run") { Description = "Steps the trained GRU runs free on an unseen stretch", DefaultValueFactory = _ => d.FreeRun };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial weights", DefaultValueFactory = _ => d.Seed };
        var output = new Option<string>("--out", "-o") { Description = "Folder for sequence_trajectory.png and sequence_loss.png", DefaultValueFactory = _ => d.OutputDirectory };

        var root = new RootCommand("ArenaGrad sequence demo: a GRU learns the chaotic Lorenz system one step ahead with " +
            "truncated backpropagation through time, then runs free on an unseen stretch of the attractor, one step per call " +
            "as a game would; prints its errors and draws the paths and the loss.")
        {
            steps, learningRate, hidden, layers, streams, chunk, dt, trainSamples, freeRun, seed, output,
        };
        root.SetAction(parsed =>
        {
            var options = new SequenceOptions
            {
                Steps = parsed.GetValue(steps),
                LearningRate = parsed.GetValue(learningRate),
                Hidden = parsed.GetValue(hidden),
                Layers = parsed.GetValue(layers),
                Streams = parsed.GetValue(streams),
                Chunk = parsed.GetValue(chunk),
                Dt = parsed.GetValue(dt),
                TrainSamples = parsed.GetValue(trainSamples),
                FreeRun = parsed.GetValue(freeRun),
                Seed = parsed.GetValue(seed),
                OutputDirectory = parsed.GetValue(output) ?? d.OutputDirectory,
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
            return SequenceFit.Run(options, AnsiConsole.Console).ExitCode;
        });
        return root.Parse(args).Invoke();
    }
}
