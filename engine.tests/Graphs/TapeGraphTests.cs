using System.Text.RegularExpressions;
using ArenaGrad.Graphs;
using ArenaGrad.Nn;

namespace ArenaGrad.Tests.Graphs;

/// <summary>DOT pictures of the tape and of traced steps: nodes, colours, highlighting, escaping, determinism, errors.</summary>
[TestFixture]
public sealed class TapeGraphTests
{
    private const string Amber = "fillcolor=\"#ffd54f\"";
    private const string Grey = "fillcolor=\"#e0e0e0\"";
    private const string Blue = "fillcolor=lightblue";

    [Test]
    public void FromTape_LinearReluSum_OneNodePerOpLeavesMarkedAndNamed()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        Tensor x = arena.Randn([4, 3]);
        Tensor w = arena.Randn([2, 3], requiresGrad: true), b = arena.Zeros([2], requiresGrad: true);
        Tensor loss = Functional.Linear(x, w, b).Relu().Sum();

        TapeGraph graph = TapeGraph.FromTape(loss, [new NamedTensor("weight", w), new NamedTensor("bias", b)]);
        Dot dot = Dot.Parse(graph.ToDot());

        Assert.That(graph.OpCount, Is.EqualTo(arena.TapeLength).And.EqualTo(3));
        Assert.That(graph.LeafCount, Is.EqualTo(3));
        Assert.That(graph.FrozenOpCount, Is.Zero);
        Assert.That(dot.Nodes, Has.Count.EqualTo(3 + 3 + 1), "ops, leaves, the root");
        Assert.That(dot.Node("AddmmBackward0\\n[4, 2]"), Does.Not.Contain(Amber), "no backward ran yet");
        Assert.That(dot.Node("ReluBackward0\\n[4, 2]"), Is.Not.Null);
        Assert.That(dot.Node("SumBackward0\\n[]"), Is.Not.Null);
        Assert.That(dot.Node("weight\\n[2, 3]"), Does.Contain(Blue));
        Assert.That(dot.Node("bias\\n[2]"), Does.Contain(Blue));
        Assert.That(dot.Node($"slot {x.Slot}\\n[4, 3]"), Does.Contain(Grey), "an input that does not require grad is grey");
        Assert.That(dot.Node("output\\n[]"), Does.Contain("darkolivegreen1"));
        Assert.That(dot.Text, Does.Not.Contain("cluster_frozen"));
        Assert.That(dot.HasEdge("weight\\n[2, 3]", "AddmmBackward0\\n[4, 2]"), Is.True);
        Assert.That(dot.HasEdge("AddmmBackward0\\n[4, 2]", "ReluBackward0\\n[4, 2]"), Is.True);
        Assert.That(dot.HasEdge("SumBackward0\\n[]", "output\\n[]"), Is.True);
        Assert.That(dot.Edges, Has.Count.EqualTo(3 + 1 + 1 + 1));
    }

    [Test]
    public void FromTape_AfterBackwardOfOneBranch_HighlightsThatBranchOnly()
    {
        using var arena = new Arena();
        Tensor w = arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor first = (w * 2f).Sum();
        Tensor second = (w.Exp()).Sum();
        Tensor total = first + second;
        first.Backward(retainGraph: true);

        TapeGraph graph = TapeGraph.FromTape(total, [new NamedTensor("w", w)]);
        Dot dot = Dot.Parse(graph.ToDot());

        Assert.That(graph.OpCount, Is.EqualTo(5));
        Assert.That(graph.ExecutedOpCount, Is.EqualTo(2));
        Assert.That(dot.Node("MulBackward0\\n[2]"), Does.Contain(Amber));
        Assert.That(dot.Node("ExpBackward0\\n[2]"), Does.Not.Contain(Amber), "the gradient of first never reached exp");
        Assert.That(dot.Node("AddBackward0\\n[]"), Does.Not.Contain(Amber));
        Assert.That(dot.NodesContaining("SumBackward0\\n[]").Count(line => line.Contains(Amber, StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(dot.Text, Does.Contain("run by the last backward (2 of 5 ops on the tape)"));
    }

    [Test]
    public void FromTape_TapeIndexReRecordedAfterScopeEnded_IsNotHighlighted()
    {
        using var arena = new Arena();
        Tensor w = arena.FromData([1f, 2f], [2], requiresGrad: true);
        using (arena.Scope()) (w * 2f).Sum().Backward();
        using (arena.Scope())
        {
            Tensor again = (w * 3f).Sum(); // the same tape indices, new instructions
            TapeGraph graph = TapeGraph.FromTape(again);
            Assert.That(graph.ExecutedOpCount, Is.Zero);
            Assert.That(graph.ToDot(), Does.Not.Contain(Amber));
            again.Backward();
            Assert.That(TapeGraph.FromTape(again).ExecutedOpCount, Is.EqualTo(2));
        }
    }

    [Test]
    public void Trace_FrozenExtractorStep_FrozenOpsGreyInTheirClusterTrainedOpsHighlighted()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var extractor = new Sequential(new Linear(arena, 3, 5), new Relu());
        var head = new Linear(arena, 5, 2);
        var model = new Sequential(extractor, head);
        extractor.RequiresGrad(false);
        Tensor x = arena.Randn([4, 3]), target = arena.Randn([4, 2]);

        TapeGraph graph = TapeGraph.Trace(arena, () =>
        {
            Tensor loss = Functional.MseLoss(model.Forward(x), target);
            loss.Backward();
            return loss;
        }, [.. model.NamedParameters(), new NamedTensor("x", x)]);
        Dot dot = Dot.Parse(graph.ToDot());

        Assert.That(graph.OpCount, Is.EqualTo(4), "linear, relu, linear, mse_loss");
        Assert.That(graph.FrozenOpCount, Is.EqualTo(2));
        Assert.That(graph.ExecutedOpCount, Is.EqualTo(2));
        Assert.That(arena.TapeLength, Is.EqualTo(2));
        string[] frozen = dot.Cluster("cluster_frozen");
        Assert.That(frozen, Has.Length.EqualTo(2 + 3), "the two frozen ops, their weight, bias and input");
        Assert.That(frozen.Single(line => line.Contains("\"Addmm\\n[4, 5]\"", StringComparison.Ordinal)), Does.Contain(Grey));
        Assert.That(frozen.Single(line => line.Contains("\"Relu\\n[4, 5]\"", StringComparison.Ordinal)), Does.Contain(Grey));
        Assert.That(frozen.Single(line => line.Contains("\"0.0.weight\\n[5, 3]\"", StringComparison.Ordinal)), Does.Contain(Grey));
        Assert.That(frozen.Single(line => line.Contains("\"x\\n[4, 3]\"", StringComparison.Ordinal)), Does.Contain(Grey));
        Assert.That(dot.Node("AddmmBackward0\\n[4, 2]"), Does.Contain(Amber));
        Assert.That(dot.Node("MseLossBackward0\\n[]"), Does.Contain(Amber));
        Assert.That(dot.Node("1.weight\\n[2, 5]"), Does.Contain(Blue));
        Assert.That(dot.Node("1.bias\\n[2]"), Does.Contain(Blue));
        Assert.That(frozen.Any(line => line.Contains("1.weight", StringComparison.Ordinal)), Is.False);
        Assert.That(dot.HasEdge("Relu\\n[4, 5]", "AddmmBackward0\\n[4, 2]"), Is.True, "frozen features feed the head");
        Assert.That(dot.Nodes, Has.Count.EqualTo(4 + 6 + 1), "ops, leaves (x, target, four parameters), the root");
    }

    [Test]
    public void Trace_StepWithoutBackward_HighlightsNothingEvenAfterAnEarlierBackward()
    {
        using var arena = new Arena();
        Tensor w = arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor earlier = (w * 2f).Sum();
        earlier.Backward(retainGraph: true);

        TapeGraph graph = TapeGraph.Trace(arena, () => earlier + w.Sum());

        Assert.That(graph.OpCount, Is.EqualTo(2));
        Assert.That(graph.ExecutedOpCount, Is.Zero);
    }

    [Test]
    public void Trace_ConcatOfFrozenAndTrainable_DrawsAnEdgeFromEveryOperand()
    {
        using var arena = new Arena();
        Tensor a = arena.FromData([1f, 2f], [1, 2]), w = arena.FromData([3f, 4f], [1, 2], requiresGrad: true);

        TapeGraph graph = TapeGraph.Trace(arena, () => Functional.Cat([a.Tanh(), w], 0).Sum());
        Dot dot = Dot.Parse(graph.ToDot());

        Assert.That(dot.HasEdge("Tanh\\n[1, 2]", "CatBackward0\\n[2, 2]"), Is.True);
        Assert.That(dot.HasEdge($"slot {w.Slot}\\n[1, 2]", "CatBackward0\\n[2, 2]"), Is.True);
        Assert.That(dot.Cluster("cluster_frozen"), Has.Length.EqualTo(2), "tanh and its input");
    }

    [Test]
    public void Trace_OpUnderNoGrad_IsOffTheTapeButItsInputThatRequiresGradStaysBlueOutsideTheCluster()
    {
        using var arena = new Arena();
        Tensor w = arena.FromData([1f, 2f], [2], requiresGrad: true);

        TapeGraph graph = TapeGraph.Trace(arena, () =>
        {
            Tensor scale;
            using (arena.NoGrad()) scale = w.Exp();
            return (w * scale).Sum();
        }, [new NamedTensor("w", w)]);
        Dot dot = Dot.Parse(graph.ToDot());

        Assert.That((graph.OpCount, graph.FrozenOpCount), Is.EqualTo((3, 1)));
        Assert.That(dot.Cluster("cluster_frozen").Single(), Does.Contain("\"Exp\\n[2]\"").And.Contain(Grey));
        Assert.That(dot.Node("w\\n[2]"), Does.Contain(Blue));
        Assert.That(dot.HasEdge("w\\n[2]", "Exp\\n[2]") && dot.HasEdge("Exp\\n[2]", "MulBackward0\\n[2]"), Is.True);
    }

    [Test]
    public void ToDot_NamesWithQuotesBackslashesAndNewlines_AreEscaped()
    {
        using var arena = new Arena();
        Tensor w = arena.FromData([1f], [1], requiresGrad: true);
        string dot = TapeGraph.ToDot(w.Exp(), [new NamedTensor("a \"b\" c\\d\ne\r\tf", w)]);

        Assert.That(dot, Does.Contain("label=\"a \\\"b\\\" c\\\\d\\ne f\\n[1]\""));
        Assert.That(TapeGraph.Escape("x\\\"\n\u0001"), Is.EqualTo("x\\\\\\\"\\n "));
        Dot.Parse(dot); // still well formed
    }

    [Test]
    public void ToDot_SameProgramTwice_GivesTheSameText_AndASnapshotOutlivesItsTensors()
    {
        static TapeGraph Build(Arena arena)
        {
            Tensor x = arena.Randn([3, 2]);
            Tensor w = arena.Randn([4, 2], requiresGrad: true);
            Tensor loss = Functional.Linear(x, w).Tanh().Mean();
            loss.Backward(retainGraph: true);
            return TapeGraph.FromTape(loss);
        }
        using var first = new Arena(new ArenaOptions { Seed = 2 });
        using var second = new Arena(new ArenaOptions { Seed = 2 });
        TapeGraph graph;
        string before;
        using (first.Scope())
        {
            graph = Build(first);
            before = graph.ToDot();
        }

        Assert.That(graph.ToDot(), Is.EqualTo(before), "the snapshot does not read the arena again");
        Assert.That(Build(second).ToDot(), Is.EqualTo(before));
        Assert.That(before, Does.StartWith("digraph TapeGraph {\n").And.EndWith("}\n"));
        Assert.That(before, Does.Not.Contain("\r"));
        using var writer = new StringWriter();
        graph.WriteDot(writer);
        Assert.That(writer.ToString(), Is.EqualTo(before));
    }

    [Test]
    public void FromTape_DefaultTensor_ThrowsTheDefaultTensorMessage()
    {
        Assert.That(() => TapeGraph.FromTape(default), Throws.InvalidOperationException.With.Message.Contains("default(Tensor)"));
    }

    [Test]
    public void FromTape_TensorOfDisposedArena_ThrowsObjectDisposed()
    {
        var arena = new Arena();
        Tensor loss = arena.FromData([1f], [1], requiresGrad: true).Exp();
        arena.Dispose();
        Assert.That(() => TapeGraph.FromTape(loss), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => TapeGraph.Trace(arena, () => loss), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void FromTape_RootWithoutGrad_ThrowsSayingNothingWasRecordedAndPointsToTrace()
    {
        using var arena = new Arena();
        Tensor y = arena.FromData([1f, 2f], [2]).Exp();
        Assert.That(() => TapeGraph.FromTape(y), Throws.InvalidOperationException.With.Message.EqualTo(
            "The tensor does not require grad and does not have a grad_fn, so the tape recorded nothing behind it. " +
            "To draw ops that ran without requiring grad (frozen parts), run the step under TapeGraph.Trace."));
    }

    [Test]
    public void FromTape_LeafThatRequiresGrad_IsOneLeafAndTheRoot()
    {
        using var arena = new Arena();
        Tensor w = arena.FromData([1f, 2f], [2], requiresGrad: true);
        TapeGraph graph = TapeGraph.FromTape(w);
        Assert.That((graph.OpCount, graph.LeafCount), Is.EqualTo((0, 1)));
        Assert.That(Dot.Parse(graph.ToDot()).Nodes, Has.Count.EqualTo(2));
    }

    [Test]
    public void Trace_BadSteps_ThrowClearlyAndEndTheTrace()
    {
        using var arena = new Arena();
        using var other = new Arena();
        Tensor w = arena.FromData([1f, 2f], [2], requiresGrad: true);

        Assert.That(() => TapeGraph.Trace(arena, null!), Throws.ArgumentNullException);
        Assert.That(() => TapeGraph.Trace(null!, () => w), Throws.ArgumentNullException);
        Assert.That(() => TapeGraph.Trace(arena, () => throw new InvalidTimeZoneException("step failed")),
            Throws.TypeOf<InvalidTimeZoneException>());
        Assert.That(arena.IsTracing, Is.False, "a failing step still ends the trace");
        Assert.That(() => TapeGraph.Trace(arena, () => other.FromData([1f], [1]).Exp()), Throws.ArgumentException.With.Message.Contains("another arena"));
        Assert.That(() => TapeGraph.Trace(arena, () => TapeGraph.Trace(arena, () => w).OpCount > 0 ? w : w),
            Throws.InvalidOperationException.With.Message.Contains("traces do not nest"));
        Assert.That(() => TapeGraph.Trace(arena, () =>
        {
            using (arena.Scope()) return w.Exp().Sum();
        }), Throws.InvalidOperationException.With.Message.Contains("Open the scope around TapeGraph.Trace"));
        Assert.That(() => TapeGraph.Trace(arena, () =>
        {
            using (arena.Scope()) _ = w.Exp();
            return w.Tanh().Sum(); // reuses the released slots
        }), Throws.InvalidOperationException.With.Message.Contains("a scope ended inside the step"));
        Assert.That(() => TapeGraph.Trace(arena, () => w.Sum()).WriteDot(null!), Throws.ArgumentNullException);
        Assert.That(arena.IsTracing, Is.False);
    }

    /// <summary>A small reader of the DOT this class writes: node declarations and edges, with well-formedness checks.</summary>
    private sealed class Dot
    {
        private static readonly Regex NodeLine = new(@"^\s+(n\d+) \[label=""((?:[^""\\]|\\.)*)""(.*)\];$");
        private static readonly Regex EdgeLine = new(@"^\s+(n\d+) -> (n\d+)( \[.*\])?;$");

        public required string Text { get; init; }
        public Dictionary<string, (string Label, string Line)> Nodes { get; } = [];
        public List<(string From, string To)> Edges { get; } = [];

        public static Dot Parse(string text)
        {
            var dot = new Dot { Text = text };
            string[] lines = text.Split('\n');
            Assert.That(lines[0], Is.EqualTo("digraph TapeGraph {"));
            Assert.That(lines[^1], Is.Empty, "the text ends with one line break");
            Assert.That(lines[^2], Is.EqualTo("}"));
            int depth = 0;
            foreach (string line in lines)
            {
                depth += line.Count(c => c == '{') - line.Count(c => c == '}');
                Assert.That(depth, Is.GreaterThanOrEqualTo(0));
                Match node = NodeLine.Match(line), edge = EdgeLine.Match(line);
                if (node.Success) dot.Nodes.Add(node.Groups[1].Value, (node.Groups[2].Value, line));
                else if (edge.Success) dot.Edges.Add((edge.Groups[1].Value, edge.Groups[2].Value));
                else Assert.That(line, Does.Not.Match(@"^\s+n\d+"), "every node or edge line is well formed");
            }
            Assert.That(depth, Is.Zero);
            foreach ((string from, string to) in dot.Edges)
                Assert.That(dot.Nodes.ContainsKey(from) && dot.Nodes.ContainsKey(to), Is.True, $"edge {from} -> {to} names declared nodes");
            return dot;
        }

        public string Node(string label) => Nodes.Values.Single(n => n.Label == label).Line;

        public IEnumerable<string> NodesContaining(string label) => Nodes.Values.Where(n => n.Label == label).Select(n => n.Line);

        public bool HasEdge(string fromLabel, string toLabel) =>
            Edges.Any(e => Nodes[e.From].Label == fromLabel && Nodes[e.To].Label == toLabel);

        public string[] Cluster(string name)
        {
            string[] lines = Text.Split('\n');
            int start = Array.FindIndex(lines, l => l.Contains("subgraph " + name + " {", StringComparison.Ordinal));
            Assert.That(start, Is.GreaterThanOrEqualTo(0), $"{name} is drawn");
            int end = Array.FindIndex(lines, start, l => l == "  }");
            return lines[(start + 1)..end].Where(l => NodeLine.IsMatch(l)).ToArray();
        }
    }
}
