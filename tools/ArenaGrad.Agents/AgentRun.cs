using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using ArenaGrad.Tools;
using Spectre.Console;

namespace ArenaGrad.Agents;

/// <summary>Drives an <see cref="IAgentTrainer"/> through its iterations: times them, counts managed bytes and
/// collections, shows progress, then writes the learning curve (PNG), the policy (safetensors and ONNX) and an
/// optional JSON summary, and prints the final table.</summary>
internal static class AgentRun
{
    /// <summary>Runs <paramref name="trainer"/> to the end and reports on <paramref name="console"/>.</summary>
    /// <param name="trainer">The algorithm and environment, freshly constructed.</param>
    /// <param name="options">Seed, output folder, JSON path and whether to show progress.</param>
    /// <param name="console">Where the header, progress and table go.</param>
    /// <param name="name">File-name stem of the outputs, for example "cartpole".</param>
    public static AgentResult Run(IAgentTrainer trainer, AgentOptions options, IAnsiConsole console, string name)
    {
        console.MarkupLine("[bold]ArenaGrad.Agents[/]: " + Markup.Escape(trainer.Description));
        int iterations = trainer.Iterations;
        var curveSteps = new long[iterations];
        var curveMeans = new double[iterations];
        // The first iterations grow the arena's blocks and tables; bytes are counted after them.
        int warmUpIterations = Math.Min(5, iterations / 2);
        var meter = new StepMeter(warmUpIterations);
        long warmUpStart = Stopwatch.GetTimestamp();
        trainer.WarmUp();
        double warmUpSeconds = Stopwatch.GetElapsedTime(warmUpStart).TotalSeconds;
        int collections = GC.CollectionCount(0);
        long start = Stopwatch.GetTimestamp();
        trainer.Start();
        if (options.Quiet)
        {
            for (int k = 1; k <= iterations; k++) Iterate(trainer, k, ref meter, curveSteps, curveMeans);
        }
        else
        {
            int total = checked((int)trainer.TotalSteps);
            StepProgress.Run(console, name, total, "steps", progress =>
            {
                long reportedAt = start, reportedStep = 0;
                for (int k = 1; k <= iterations; k++)
                {
                    long after = Iterate(trainer, k, ref meter, curveSteps, curveMeans);
                    int done = (int)trainer.GlobalStep;
                    if (!progress.IsDue(done)) continue;
                    double seconds = Stopwatch.GetElapsedTime(reportedAt, after).TotalSeconds;
                    progress.Report(done, MeanReturn(trainer.Window), (done - reportedStep) / Math.Max(seconds, 1e-9));
                    (reportedAt, reportedStep) = (Stopwatch.GetTimestamp(), done);
                }
                return 0;
            });
        }
        double wallSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        collections = GC.CollectionCount(0) - collections;
        (_, double bytesPerIteration) = meter.Rates(iterations);

        var files = new List<string>();
        Directory.CreateDirectory(options.OutputDirectory);
        string curve = Path.Combine(options.OutputDirectory, $"{name}_curve.png");
        AgentPlots.LearningCurve(curve, trainer, curveSteps, curveMeans);
        files.Add(curve);
        bool finite = AllFinite(trainer);
        if (finite)
        {
            string weights = Path.Combine(options.OutputDirectory, $"{name}_agent.safetensors");
            Safetensors.Save(weights, trainer.StateDict(), new Dictionary<string, string>
            {
                ["environment"] = trainer.Environment,
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                ["steps"] = trainer.GlobalStep.ToString(CultureInfo.InvariantCulture),
            });
            files.Add(weights);
            string policy = Path.Combine(options.OutputDirectory, $"{name}_policy.onnx");
            using (trainer.Arena.Scope())
                Onnx.Save(trainer.Policy, trainer.Arena.Zeros([1, trainer.ObservationSize]), policy);
            files.Add(policy);
        }

        ReturnWindow window = trainer.Window;
        var result = new AgentResult(trainer.Environment, options.Seed, trainer.GlobalStep, wallSeconds, window.SolvedStep,
            window.Episodes, window.Mean, curveSteps, curveMeans, bytesPerIteration, iterations - warmUpIterations,
            collections, Digest(trainer, curveSteps, curveMeans), files)
        { ExitCode = finite ? 0 : 1, WarmUpSeconds = warmUpSeconds };
        if (options.JsonPath is string json)
        {
            WriteJson(json, result);
            files.Add(json);
        }
        console.Write(Summary(result, window));
        if (!finite) console.MarkupLine("[red]Training diverged: a weight is not finite.[/]");
        return result;
    }

    private static long Iterate(IAgentTrainer trainer, int k, ref StepMeter meter, long[] curveSteps, double[] curveMeans)
    {
        meter.Begin();
        trainer.RunIteration(k);
        long after = meter.End(k - 1);
        curveSteps[k - 1] = trainer.GlobalStep;
        curveMeans[k - 1] = trainer.Window.Mean;
        return after;
    }

    private static string MeanReturn(ReturnWindow window) =>
        window.Count == 0 ? "no episode yet" : string.Create(CultureInfo.InvariantCulture, $"mean return {window.Mean,7:0.0}");

    private static bool AllFinite(IAgentTrainer trainer)
    {
        foreach (NamedTensor named in trainer.StateDict())
            foreach (float value in named.Value.AsSpanUnsafely())
                if (!float.IsFinite(value)) return false;
        return true;
    }

    /// <summary>SHA-256 over every iteration's global step and mean return and over the final weights' bits, in order.</summary>
    internal static string Digest(IAgentTrainer trainer, long[] curveSteps, double[] curveMeans)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> eight = stackalloc byte[8];
        for (int i = 0; i < curveSteps.Length; i++)
        {
            BitConverter.TryWriteBytes(eight, curveSteps[i]);
            hash.AppendData(eight);
            BitConverter.TryWriteBytes(eight, BitConverter.DoubleToInt64Bits(curveMeans[i]));
            hash.AppendData(eight);
        }
        foreach (NamedTensor named in trainer.StateDict())
        {
            hash.AppendData(Encoding.UTF8.GetBytes(named.Name));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(named.Value.AsSpanUnsafely()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The fields perf/pytorch/ppo_compare.py reads; the PyTorch twin writes the same ones.</summary>
    private static void WriteJson(string path, AgentResult result)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("implementation", "arenagrad");
        writer.WriteString("environment", result.Environment);
        writer.WriteNumber("seed", result.Seed);
        writer.WriteNumber("steps", result.Steps);
        writer.WriteNumber("wallSeconds", result.WallSeconds);
        writer.WriteNumber("warmUpSeconds", result.WarmUpSeconds);
        writer.WriteNumber("stepsPerSecond", result.StepsPerSecond);
        if (result.SolvedStep is long solved) writer.WriteNumber("solvedStep", solved);
        else writer.WriteNull("solvedStep");
        writer.WriteNumber("episodes", result.Episodes);
        if (double.IsFinite(result.LastMeanReturn)) writer.WriteNumber("lastMeanReturn", result.LastMeanReturn);
        else writer.WriteNull("lastMeanReturn");
        writer.WriteNumber("managedBytesPerIteration", result.ManagedBytesPerIteration);
        writer.WriteNumber("gcCollections", result.GcCollections);
        writer.WriteString("digest", result.Digest);
        writer.WriteEndObject();
    }

    private static Table Summary(AgentResult result, ReturnWindow window)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]run[/]");
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("environment steps", result.Steps.ToString("N0", c));
        Row("steps per second", result.StepsPerSecond.ToString("N0", c));
        Row("wall time", result.WallSeconds.ToString("0.00", c) + " s");
        Row("start-up before the clock (JIT of one throwaway iteration)", result.WarmUpSeconds.ToString("0.00", c) + " s");
        Row(string.Create(c, $"solved (mean of last {window.Capacity} returns ≥ {window.Target:0.###}) at step"),
            result.SolvedStep is long solved ? solved.ToString("N0", c) : "not solved");
        Row("episodes", result.Episodes.ToString("N0", c));
        Row(string.Create(c, $"mean return of the last {window.Capacity} episodes"),
            double.IsFinite(result.LastMeanReturn) ? result.LastMeanReturn.ToString("0.0", c) : "none finished");
        Row($"managed bytes per iteration (last {result.MeasuredIterations})", result.ManagedBytesPerIteration.ToString("0.##", c));
        Row("GC collections during training", result.GcCollections.ToString(c));
        Row("learning-curve digest (SHA-256)", result.Digest[..16] + "…");
        foreach (string file in result.Files) Row("wrote", file);
        return table;
    }
}
