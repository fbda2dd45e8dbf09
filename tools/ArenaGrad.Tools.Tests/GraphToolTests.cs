using System.Text.RegularExpressions;
using ArenaGrad.Graph;

namespace ArenaGrad.Tools.Tests;

/// <summary>The graph tool, run in-process. Graphviz is not needed: the tests point it at a program that does not exist.</summary>
[NonParallelizable]
public sealed class GraphToolTests
{
    private const string MissingDot = "arenagrad-no-such-dot-program";

    [Test]
    public void Run_FrozenExtractor_WritesDotWithTheExtractorFrozenAndTheHeadRunByBackward()
    {
        using var folder = new TempFolder();
        using var log = new StringWriter();

        GraphResult result = FrozenExtractorGraph.Run(
            new GraphOptions { OutputDirectory = folder.Path, Width = 16, Batch = 4, DotCommand = MissingDot }, log);

        string dotPath = Path.Combine(folder.Path, "graph.dot");
        Assert.That(result.DotPath, Is.EqualTo(dotPath));
        string dot = File.ReadAllText(dotPath);
        Assert.That(dot, Is.EqualTo(result.Graph.ToDot()));
        Assert.That((result.Graph.OpCount, result.Graph.FrozenOpCount, result.Graph.ExecutedOpCount), Is.EqualTo((6, 4, 2)),
            "linear, relu, linear, relu frozen; the head's linear and mse_loss on the tape, both run by backward");
        Assert.That(float.IsFinite(result.Loss) && result.Loss > 0, Is.True);

        string[] lines = dot.Split('\n');
        int clusterStart = Array.FindIndex(lines, l => l.Contains("subgraph cluster_frozen {", StringComparison.Ordinal));
        int clusterEnd = Array.FindIndex(lines, clusterStart, l => l == "  }");
        string[] frozen = lines[clusterStart..clusterEnd];
        foreach (string label in new[] { "Addmm\\n[4, 16]", "Relu\\n[4, 16]", "extractor.0.weight\\n[16, 64]", "extractor.2.bias\\n[16]", "x\\n[4, 64]" })
            Assert.That(frozen.Count(l => l.Contains($"label=\"{label}\"", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(1), label);
        Assert.That(frozen.Count(l => Regex.IsMatch(l, "^    n\\d+ \\[")), Is.EqualTo(4 + 5), "four ops, x and the extractor's four parameters");
        string[] outside = lines[clusterEnd..];
        Assert.That(outside.Single(l => l.Contains("label=\"AddmmBackward0\\n[4, 8]\"", StringComparison.Ordinal)), Does.Contain("#ffd54f"));
        Assert.That(outside.Single(l => l.Contains("label=\"MseLossBackward0\\n[]\"", StringComparison.Ordinal)), Does.Contain("#ffd54f"));
        Assert.That(outside.Single(l => l.Contains("label=\"head.weight\\n[8, 16]\"", StringComparison.Ordinal)), Does.Contain("lightblue"));
        Assert.That(dot, Does.EndWith("}\n"));
    }

    [Test]
    public void Run_WithoutGraphviz_WritesTheDotAndSaysHowToGetTheSvg()
    {
        using var folder = new TempFolder();
        using var log = new StringWriter();

        GraphResult result = FrozenExtractorGraph.Run(
            new GraphOptions { OutputDirectory = folder.Path, Width = 8, Batch = 2, DotCommand = MissingDot }, log);

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.SvgPath, Is.Null);
        Assert.That(File.Exists(Path.Combine(folder.Path, "graph.svg")), Is.False);
        Assert.That(log.ToString(), Does.Contain($"Graphviz's {MissingDot} was not found on PATH, so no SVG was written."));
        Assert.That(log.ToString(), Does.Contain("apt-get install graphviz"));
        Assert.That(log.ToString(), Does.Contain("6 ops: 4 frozen (off the tape), 2 on the tape, 2 run by backward"));
    }

    [Test]
    public void Run_SameOptionsTwice_WritesTheSameDot()
    {
        using var first = new TempFolder();
        using var second = new TempFolder();
        var options = new GraphOptions { Width = 8, Batch = 2, DotCommand = MissingDot };
        FrozenExtractorGraph.Run(options with { OutputDirectory = first.Path }, TextWriter.Null);
        FrozenExtractorGraph.Run(options with { OutputDirectory = second.Path }, TextWriter.Null);
        Assert.That(File.ReadAllText(Path.Combine(second.Path, "graph.dot")), Is.EqualTo(File.ReadAllText(Path.Combine(first.Path, "graph.dot"))));
    }

    [TestCase(0, 4, "--width expects a positive integer, but got 0.")]
    [TestCase(8, -1, "--batch expects a positive integer, but got -1.")]
    public void Validate_OptionOutOfRange_ThrowsNamingOptionAndGot(int width, int batch, string message)
    {
        var options = new GraphOptions { Width = width, Batch = batch };
        Assert.That(() => options.Validate(), Throws.ArgumentException.With.Message.EqualTo(message));
    }
}
