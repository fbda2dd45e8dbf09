using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using ArenaGrad.Graphs;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Graph;

/// <summary>The frozen-extractor model of perf's FrozenExtractorBenchmarks (W5): a feature extractor (Linear 64→W, ReLU,
/// Linear W→W, ReLU) with requires_grad off feeds a trainable head (Linear W→8); batch rows, MSE, backward, SGD. One
/// step runs under <see cref="TapeGraph.Trace"/>, so the picture shows what the requires_grad bitmask saves: the
/// extractor's ops ran but never reached the tape, and backward ran the head's two instructions only.</summary>
internal static class FrozenExtractorGraph
{
    private const int Inputs = 64, Outputs = 8;

    /// <summary>Runs the step, writes graph.dot, and graph.svg when Graphviz's dot is found; reports to <paramref name="log"/>.</summary>
    public static GraphResult Run(GraphOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        Directory.CreateDirectory(options.OutputDirectory);

        using var arena = new Arena(new ArenaOptions { Seed = options.Seed });
        var extractor = new Sequential(new Linear(arena, Inputs, options.Width), new Relu(),
            new Linear(arena, options.Width, options.Width), new Relu());
        var head = new Linear(arena, options.Width, Outputs);
        var model = new Sequential(extractor, head);
        extractor.RequiresGrad(false);
        var optimizer = new Sgd(head.Parameters(), lr: 1e-3f);
        Tensor x = arena.Randn([options.Batch, Inputs]);
        Tensor target = arena.Randn([options.Batch, Outputs]);

        TapeGraph graph;
        float loss = 0;
        using (arena.Scope()) // around the trace, so the step's tensors are alive when the graph is read
        {
            graph = TapeGraph.Trace(arena, () =>
            {
                optimizer.ZeroGrad();
                Tensor lossTensor = Functional.MseLoss(model.Forward(x), target);
                lossTensor.Backward();
                optimizer.Step();
                loss = lossTensor.Item();
                return lossTensor;
            }, Names(model, x, target));
        }

        string dotPath = Path.Combine(options.OutputDirectory, "graph.dot");
        using (var writer = new StreamWriter(dotPath))
            graph.WriteDot(writer);
        log.WriteLine($"{graph.OpCount} ops: {graph.FrozenOpCount} frozen (off the tape), {graph.OpCount - graph.FrozenOpCount} on the tape, " +
            $"{graph.ExecutedOpCount} run by backward; {graph.LeafCount} leaves. Loss {loss:G6}.");
        log.WriteLine($"wrote {dotPath}");

        string svgPath = Path.Combine(options.OutputDirectory, "graph.svg");
        string? dot = FindProgram(options.DotCommand);
        if (dot is null)
        {
            log.WriteLine($"Graphviz's {options.DotCommand} was not found on PATH, so no SVG was written. Install Graphviz " +
                "(apt-get install graphviz, brew install graphviz, winget install graphviz) and run again, or render the DOT " +
                $"yourself: dot -Tsvg {dotPath} -o {svgPath}");
            return new GraphResult(graph, dotPath, null, loss, 0);
        }
        string? error = RenderSvg(dot, dotPath, svgPath);
        if (error is not null)
        {
            log.WriteLine($"{dot} failed, so no SVG was written: {error}");
            return new GraphResult(graph, dotPath, null, loss, 1);
        }
        log.WriteLine($"wrote {svgPath}");
        return new GraphResult(graph, dotPath, svgPath, loss, 0);
    }

    /// <summary>The parameters as extractor.* and head.* (Sequential numbers them 0.* and 1.*), and the data.</summary>
    private static List<NamedTensor> Names(Sequential model, Tensor x, Tensor target)
    {
        var names = new List<NamedTensor>();
        foreach (NamedTensor parameter in model.NamedParameters())
        {
            string name = parameter.Name.StartsWith("0.", StringComparison.Ordinal) ? "extractor." + parameter.Name[2..]
                : parameter.Name.StartsWith("1.", StringComparison.Ordinal) ? "head." + parameter.Name[2..]
                : parameter.Name;
            names.Add(new NamedTensor(name, parameter.Value));
        }
        names.Add(new NamedTensor("x", x));
        names.Add(new NamedTensor("target", target));
        return names;
    }

    /// <summary>A path to <paramref name="command"/>: itself if it names a file, else the first match on PATH.</summary>
    internal static string? FindProgram(string command)
    {
        if (command.Contains(Path.DirectorySeparatorChar) || command.Contains(Path.AltDirectorySeparatorChar))
            return File.Exists(command) ? command : null;
        string[] suffixes = OperatingSystem.IsWindows() ? [".exe", ""] : [""];
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (string suffix in suffixes)
            {
                string candidate = Path.Combine(directory, command + suffix);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>Runs <c>dot -Tsvg</c>; returns null on success, else what went wrong.</summary>
    private static string? RenderSvg(string dot, string dotPath, string svgPath)
    {
        var start = new ProcessStartInfo(dot) { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-Tsvg");
        start.ArgumentList.Add(dotPath);
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(svgPath);
        try
        {
            using Process process = Process.Start(start) ?? throw new InvalidOperationException("the process did not start");
            string stderr = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(60_000))
            {
                process.Kill();
                return "it did not finish within 60 s";
            }
            return process.ExitCode == 0 ? null : $"exit code {process.ExitCode}: {stderr.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
