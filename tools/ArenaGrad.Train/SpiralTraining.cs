using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Tools;
using Spectre.Console;

namespace ArenaGrad.Train;

/// <summary>
/// The main job: an MLP 2-H-H-2 (tanh) learns to tell two interleaved spirals apart with Adam and cross-entropy.
/// </summary>
/// <remarks>
/// Parameters and optimizer state are made outside any scope; each step runs in <c>using (arena.Scope())</c>, so
/// activations, tape and step gradients are released in O(1). The step is measured alone: managed bytes
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>) and time are taken right around it, the loss goes into a
/// preallocated array, and progress is drawn between steps.
/// </remarks>
internal static class SpiralTraining
{
    /// <summary>Grid cells per side of the decision-boundary picture.</summary>
    private const int GridSize = 160;

    /// <summary>Half the side of the square the picture covers (the spirals fill the unit disc).</summary>
    private const float Extent = 1.25f;

    /// <summary>Trains as <paramref name="options"/> says, reports on <paramref name="console"/> and writes the files.</summary>
    public static TrainResult Run(TrainOptions options, IAnsiConsole console)
    {
        options.Validate();
        int n = options.Points;
        float[] points = new float[2 * n];
        int[] labels = new int[n];
        Spirals.Generate(points, labels, options.Noise, options.Seed);

        using var arena = new Arena(new ArenaOptions { Seed = options.Seed });
        int[] sizes = [2, options.Hidden, options.Hidden, 2];
        var model = new Mlp(arena, sizes, static () => new Tanh());
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        int parameterCount = 0;
        foreach (Tensor p in model.Parameters()) parameterCount += p.Count;
        Tensor allPoints = arena.FromData(points, [n, 2]);

        bool fullBatch = options.BatchSize == 0 || options.BatchSize == n;
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]ArenaGrad.Train[/]: two spirals ({n} points, {Spirals.Turns} turns, seed {options.Seed}), " +
            $"MLP {string.Join('-', sizes)} tanh ({parameterCount:N0} parameters), Adam lr {options.LearningRate}, " +
            $"{(fullBatch ? "full batch" : $"batch {options.BatchSize}")}, {options.Steps} steps"));

        var loop = new TrainingLoop(arena, model, optimizer, allPoints, points, labels, fullBatch ? n : options.BatchSize, options.Seed);
        float[] losses = new float[options.Steps];
        LoopStats stats = StepProgress.Run(console, "training", options.Steps, "steps", progress => loop.Run(losses, progress));
        long reservedBytes = arena.ReservedBytes;   // what training needed, before the grid below adds its own

        model.Eval();
        (float finalLoss, float accuracy) = Evaluate(arena, model, allPoints, labels);
        double[,] probabilities = ClassOneProbabilities(arena, model);

        Directory.CreateDirectory(options.OutputDirectory);
        var files = new List<string>();
        string boundary = Path.Combine(options.OutputDirectory, "decision_boundary.png");
        TrainingPlots.DecisionBoundary(boundary, probabilities, Extent, points, labels, accuracy);
        files.Add(boundary);
        string lossCurve = Path.Combine(options.OutputDirectory, "loss.png");
        TrainingPlots.LossCurve(lossCurve, losses);
        files.Add(lossCurve);
        string weights = Path.Combine(options.OutputDirectory, "model.safetensors");
        Safetensors.Save(weights, model.StateDict(), new Dictionary<string, string>
        {
            ["format"] = "pt",   // what PyTorch's safetensors loader expects of a state dict
            ["model"] = string.Create(CultureInfo.InvariantCulture, $"Mlp {string.Join('-', sizes)} tanh"),
            ["data"] = string.Create(CultureInfo.InvariantCulture, $"two spirals, {n} points, noise {options.Noise}, seed {options.Seed}"),
            ["steps"] = options.Steps.ToString(CultureInfo.InvariantCulture),
            ["final_loss"] = finalLoss.ToString("R", CultureInfo.InvariantCulture),
            ["accuracy"] = accuracy.ToString("R", CultureInfo.InvariantCulture),
        });
        files.Add(weights);

        var result = new TrainResult(finalLoss, accuracy, losses, stats.StepsPerSecond, stats.WallSeconds, stats.MeasuredSteps,
            stats.ManagedBytesPerStep, stats.GcCollections, reservedBytes, files, ParametersSha256(model));
        console.Write(Summary(result));
        if (result.ExitCode != 0)
            console.MarkupLine("[red]The loss is not finite: training diverged (try a smaller --lr).[/]");
        return result;
    }

    /// <summary>Loss and accuracy of the model over the whole data set, without recording.</summary>
    private static (float Loss, float Accuracy) Evaluate(Arena arena, Mlp model, Tensor inputs, ReadOnlySpan<int> labels)
    {
        using (arena.Scope())
        using (arena.NoGrad())
        {
            Tensor logits = model.Forward(inputs);
            float loss = Functional.CrossEntropy(logits, labels).Item();
            ReadOnlySpan<float> values = logits.AsSpanUnsafely();
            int correct = 0;
            for (int i = 0; i < labels.Length; i++)
            {
                int predicted = values[2 * i + 1] > values[2 * i] ? 1 : 0;
                if (predicted == labels[i]) correct++;
            }
            return (loss, (float)correct / labels.Length);
        }
    }

    /// <summary>P(class 1) on a <see cref="GridSize"/>² grid over [−Extent, Extent]², row 0 at the bottom (y = −Extent).</summary>
    private static double[,] ClassOneProbabilities(Arena arena, Mlp model)
    {
        float[] grid = new float[GridSize * GridSize * 2];
        for (int row = 0; row < GridSize; row++)
        for (int column = 0; column < GridSize; column++)
        {
            int i = row * GridSize + column;
            grid[2 * i] = CellCenter(column);
            grid[2 * i + 1] = CellCenter(row);
        }
        var probabilities = new double[GridSize, GridSize];
        using (arena.Scope())
        using (arena.NoGrad())
        {
            ReadOnlySpan<float> p = model.Forward(arena.FromData(grid, [GridSize * GridSize, 2])).Softmax(1).AsSpanUnsafely();
            for (int row = 0; row < GridSize; row++)
            for (int column = 0; column < GridSize; column++)
                probabilities[row, column] = p[2 * (row * GridSize + column) + 1];
        }
        return probabilities;
    }

    /// <summary>SHA-256 over every parameter's float bits, in state-dict order.</summary>
    private static string ParametersSha256(Module model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (NamedTensor parameter in model.StateDict())
            hash.AppendData(MemoryMarshal.AsBytes((ReadOnlySpan<float>)parameter.Value.AsSpanUnsafely()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static float CellCenter(int index) => -Extent + (index + 0.5f) * (2 * Extent / GridSize);

    private static Table Summary(TrainResult result)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]summary[/]");
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        CultureInfo c = CultureInfo.InvariantCulture;
        Row("final loss (all points)", StepProgress.FormatLoss(result.FinalLoss));
        Row("accuracy", (result.Accuracy * 100).ToString("0.0", c) + " %");
        Row("steps per second", result.StepsPerSecond.ToString("N0", c));
        Row("wall time, progress included", result.WallSeconds.ToString("0.00", c) + " s");
        Row($"managed bytes per step (last {result.MeasuredSteps} steps)", result.ManagedBytesPerStep.ToString("0.##", c));
        Row("GC collections during training", result.GcCollections.ToString(c));
        Row("arena reserved bytes (training)", result.ReservedBytes.ToString("N0", c));
        Row("parameters SHA-256 (prefix)", result.ParametersSha256[..16]); // the full 64 digits would wrap
        foreach (string file in result.Files)
            Row("wrote", file);
        return table;
    }

    private readonly record struct LoopStats(double StepsPerSecond, double WallSeconds, int MeasuredSteps, double ManagedBytesPerStep, int GcCollections);

    /// <summary>The training loop and what it needs per step, held so the step itself captures nothing.</summary>
    private sealed class TrainingLoop(Arena arena, Mlp model, Adam optimizer, Tensor allPoints,
        float[] points, int[] labels, int batchSize, ulong seed)
    {
        private readonly float[] _batchPoints = new float[2 * batchSize];
        private readonly int[] _batchLabels = new int[batchSize];
        private readonly int[] _order = CreateOrder(labels.Length);
        private SplitMix64 _random = new(seed ^ 0xBA7C4);
        private int _cursor = labels.Length;

        private bool FullBatch => batchSize == labels.Length;

        public LoopStats Run(float[] losses, StepProgress progress)
        {
            int steps = losses.Length;
            // The first steps compile and tier up the code and grow the arena's blocks; they are not measured.
            int warmUp = steps < 20 ? steps / 2 : Math.Min(200, steps / 5);
            var meter = new StepMeter(warmUp);
            int reportedStep = 0;
            long start = Stopwatch.GetTimestamp(), reportedTime = start;
            int collections = GC.CollectionCount(0);
            model.Train();

            for (int step = 0; step < steps; step++)
            {
                meter.Begin();
                float loss = Step();
                long after = meter.End(step);
                losses[step] = loss;
                if (progress.IsDue(step + 1))
                {
                    double seconds = Stopwatch.GetElapsedTime(reportedTime, after).TotalSeconds;
                    progress.Report(step + 1, loss, (step + 1 - reportedStep) / Math.Max(seconds, 1e-9));
                    reportedStep = step + 1;
                    reportedTime = Stopwatch.GetTimestamp();
                }
            }

            collections = GC.CollectionCount(0) - collections;
            double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            (double stepsPerSecond, double bytesPerStep) = meter.Rates(steps);
            return new LoopStats(stepsPerSecond, wall, steps - warmUp, bytesPerStep, collections);
        }

        /// <summary>One optimizer step; returns its loss. Allocates no managed memory once warm.</summary>
        private float Step()
        {
            if (!FullBatch) NextBatch();
            using (arena.Scope())
            {
                Tensor inputs = FullBatch ? allPoints : arena.FromData(_batchPoints, [batchSize, 2]);
                ReadOnlySpan<int> targets = FullBatch ? labels : _batchLabels;
                optimizer.ZeroGrad();
                Tensor loss = Functional.CrossEntropy(model.Forward(inputs), targets);
                loss.Backward();
                optimizer.Step();
                return loss.Item();
            }
        }

        /// <summary>Copies the next mini-batch into the batch buffers, reshuffling at the end of every epoch.</summary>
        private void NextBatch()
        {
            for (int i = 0; i < batchSize; i++)
            {
                if (_cursor == _order.Length)
                {
                    for (int j = _order.Length - 1; j > 0; j--)
                    {
                        int k = _random.NextInt(j + 1);
                        (_order[j], _order[k]) = (_order[k], _order[j]);
                    }
                    _cursor = 0;
                }
                int source = _order[_cursor++];
                _batchPoints[2 * i] = points[2 * source];
                _batchPoints[2 * i + 1] = points[2 * source + 1];
                _batchLabels[i] = labels[source];
            }
        }

        private static int[] CreateOrder(int count)
        {
            int[] order = new int[count];
            for (int i = 0; i < count; i++) order[i] = i;
            return order;
        }
    }
}
