using System.Collections.Generic;
using System.Globalization;
using ArenaGrad.Nn;
using ArenaGrad.Tape;

namespace ArenaGrad.Graphs;

/// <summary>A picture of an autograd graph, as Graphviz DOT: one node per op (its grad_fn name and output shape), the
/// leaves it read, and an edge from every input to the op that read it. <see cref="FromTape"/> draws what the tape
/// recorded behind a tensor (what <c>torchviz.make_dot</c> draws); <see cref="Trace"/> runs a step and also draws
/// the ops that never reached the tape because no input required grad (frozen parts, greyed in a cluster of their
/// own). Ops the last backward ran are highlighted.</summary>
/// <remarks>
/// <para>A snapshot: everything is read from the arena when the graph is made, so it stays valid (and renders the
/// same text) after the tensors are released.</para>
/// <para>The DOT is deterministic: node ids follow the order the ops ran (tape order for <see cref="FromTape"/>),
/// leaves are numbered as first read, and numbers use the invariant culture, so the same program gives the same
/// text. Colours: amber ops ran in the last backward; white ops are on the tape but the last backward did not reach
/// them; grey ops and leaves are frozen (no gradient flows there); blue leaves require grad; the green box is the
/// root.</para>
/// <para>Leaves are named from <c>names</c> (for example <c>model.NamedParameters()</c>, plus inputs of your
/// own); unnamed tensors are shown by their arena slot (<c>slot 3</c>).</para>
/// </remarks>
public sealed partial class TapeGraph
{
    private readonly List<GraphNode> _nodes = [];
    private readonly List<GraphEdge> _edges = [];
    private readonly bool _traced;

    private TapeGraph(bool traced) => _traced = traced;

    /// <summary>Number of op nodes (one per recorded op; with <see cref="Trace"/>, one per op the step ran).</summary>
    public int OpCount { get; private set; }

    /// <summary>Number of op nodes off the tape: frozen ops, which no input requiring grad reached (0 for <see cref="FromTape"/>).</summary>
    public int FrozenOpCount { get; private set; }

    /// <summary>Number of op nodes the last backward ran (drawn highlighted).</summary>
    public int ExecutedOpCount { get; private set; }

    /// <summary>Number of leaf nodes: tensors the graph reads that no op in it made (parameters, inputs, targets).</summary>
    public int LeafCount { get; private set; }

    /// <summary>The recorded graph behind <paramref name="root"/> as DOT text (<c>FromTape(root, names).ToDot()</c>).</summary>
    /// <inheritdoc cref="FromTape"/>
    public static string ToDot(Tensor root, IEnumerable<NamedTensor>? names = null) => FromTape(root, names).ToDot();

    /// <summary>The graph the tape recorded behind <paramref name="root"/>: every instruction its gradient can reach,
    /// in tape order, and the leaves they read (including inputs that do not require grad, drawn grey).</summary>
    /// <param name="root">A tensor that requires grad (the loss, typically).</param>
    /// <param name="names">Names for leaves, e.g. <c>model.NamedParameters()</c>; tensors of other arenas are ignored.</param>
    /// <exception cref="InvalidOperationException"><paramref name="root"/> is default, released, or does not require grad.</exception>
    /// <exception cref="ObjectDisposedException">The arena was disposed.</exception>
    public static TapeGraph FromTape(Tensor root, IEnumerable<NamedTensor>? names = null)
    {
        int rootSlot = root.Slot; // default, released, disposed or another thread's: each throws its own message
        Arena arena = root.Arena;
        if (!arena.RequiresGrad(rootSlot))
            throw new InvalidOperationException(
                "The tensor does not require grad and does not have a grad_fn, so the tape recorded nothing behind it. " +
                "To draw ops that ran without requiring grad (frozen parts), run the step under TapeGraph.Trace.");

        // Every instruction the root's gradient can reach: producers of inputs, transitively (inputs that do not
        // require grad have no producer on the tape).
        var reached = new SortedSet<int>();
        var pending = new Stack<int>();
        if (arena.ProducerOf(rootSlot) >= 0) pending.Push(arena.ProducerOf(rootSlot));
        while (pending.Count > 0)
        {
            int index = pending.Pop();
            if (!reached.Add(index)) continue;
            Instruction instruction = arena.Instructions[index];
            foreach (int input in InputsOf(arena, instruction))
                if (arena.ProducerOf(input) >= 0) pending.Push(arena.ProducerOf(input));
        }

        var graph = new TapeGraph(traced: false);
        var builder = new Builder(graph, arena, names);
        foreach (int index in reached)
            builder.AddOp(arena.Instructions[index], onTape: true, executed: arena.LastBackwardRan(index));
        builder.AddRoot(rootSlot);
        return graph;
    }

    /// <summary>Runs <paramref name="step"/> under a trace and returns the graph of every op it ran: ops on the tape,
    /// and ops off it because no input required grad (frozen, drawn grey in a cluster of their own). If the step
    /// calls backward, the ops that backward ran are highlighted.</summary>
    /// <param name="arena">The arena the step runs on.</param>
    /// <param name="step">Runs the forward (and, typically, backward and the optimizer step) and returns the root to
    /// mark (the loss). It must not end a scope that holds tensors it made: open the scope around this call.</param>
    /// <param name="names">Names for leaves, e.g. <c>model.NamedParameters()</c>; tensors of other arenas are ignored.</param>
    /// <exception cref="InvalidOperationException">A trace already runs on the arena, or the step released tensors it traced.</exception>
    /// <exception cref="ArgumentException">The step returned a tensor of another arena.</exception>
    public static TapeGraph Trace(Arena arena, Func<Tensor> step, IEnumerable<NamedTensor>? names = null)
    {
        ArgumentNullException.ThrowIfNull(arena);
        ArgumentNullException.ThrowIfNull(step);
        long passesBefore = arena.BackwardPassCount;
        arena.BeginTrace();
        Tensor root;
        try
        {
            root = step();
        }
        finally
        {
            arena.EndTrace();
        }
        if (root.Owner is not null && !root.IsAlive && ReferenceEquals(root.Owner, arena))
            throw new InvalidOperationException(
                "The step returned a tensor that was released: a scope that ended inside the step held it. " +
                "Open the scope around TapeGraph.Trace instead, so the traced tensors are alive when the graph is read.");
        int rootSlot = root.Slot;
        if (!ReferenceEquals(root.Owner, arena))
            throw new ArgumentException("Expected the step to return a tensor of the traced arena, but it returned one of another arena.", nameof(step));
        bool backwardRan = arena.BackwardPassCount != passesBefore;

        var graph = new TapeGraph(traced: true);
        var builder = new Builder(graph, arena, names);
        ReadOnlySpan<TracedOp> ops = arena.TracedOps;
        for (int i = 0; i < ops.Length; i++)
        {
            TracedOp op = ops[i];
            if (op.Instruction.Output >= arena.TensorCount || (op.TapeIndex >= 0 &&
                (op.TapeIndex >= arena.TapeLength || arena.Instructions[op.TapeIndex].Output != op.Instruction.Output)))
                throw ReleasedInsideStep();
            bool executed = backwardRan && op.TapeIndex >= 0 && arena.LastBackwardRan(op.TapeIndex);
            builder.AddOp(op.Instruction, onTape: op.TapeIndex >= 0, executed);
        }
        builder.AddRoot(rootSlot);
        return graph;
    }

    internal static InvalidOperationException ReleasedInsideStep() => new(
        "The trace names tensors that were released before it was read: a scope ended inside the step. " +
        "Open the scope around TapeGraph.Trace instead, so the traced tensors are alive when the graph is read.");

    /// <summary>The slots an instruction reads as differentiable inputs (not saved buffers or class targets).</summary>
    private static List<int> InputsOf(Arena arena, in Instruction instruction)
    {
        var inputs = new List<int>(3);
        if (instruction.Input0 >= 0) inputs.Add(instruction.Input0);
        if (instruction.Input1 >= 0) inputs.Add(instruction.Input1);
        if (instruction.Input2 >= 0) inputs.Add(instruction.Input2);
        if (OpTable.Of(instruction.Op).OperandsAreInputs)
            foreach (int operand in arena.OperandsOf(instruction)) inputs.Add(operand);
        return inputs;
    }

    /// <summary>Turns instructions into nodes and edges: inputs map to the node of the op that last wrote them in
    /// this graph, or to a leaf node made on first read.</summary>
    private sealed class Builder
    {
        private readonly TapeGraph _graph;
        private readonly Arena _arena;
        private readonly Dictionary<int, string> _names = new();
        private readonly Dictionary<int, int> _nodeOfSlot = new();   // slot -> node index that holds its value
        private readonly HashSet<int> _written = new();              // slots an op of this graph wrote

        public Builder(TapeGraph graph, Arena arena, IEnumerable<NamedTensor>? names)
        {
            _graph = graph;
            _arena = arena;
            if (names is null) return;
            foreach (NamedTensor named in names)
            {
                if (!named.Value.IsAlive || !ReferenceEquals(named.Value.Owner, arena)) continue;
                _names.TryAdd(named.Value.Slot, named.Name ?? "");
            }
        }

        public void AddOp(in Instruction instruction, bool onTape, bool executed)
        {
            List<int> inputs = InputsOf(_arena, instruction);
            var from = new int[inputs.Count];
            for (int i = 0; i < inputs.Count; i++)
            {
                if ((uint)inputs[i] >= (uint)_arena.TensorCount) throw ReleasedInsideStep();
                from[i] = NodeOf(inputs[i]);
            }
            int output = instruction.Output;
            // A slot written twice, or written after it was read as a leaf, was released and reused inside the step.
            if (!_written.Add(output) || _nodeOfSlot.ContainsKey(output)) throw ReleasedInsideStep();

            string gradFn = OpGradFnNames.Of(instruction.Op,
                instruction.Input0 >= 0 ? _arena.RankOf(instruction.Input0) : 0,
                instruction.Input1 >= 0 ? _arena.RankOf(instruction.Input1) : 0,
                instruction.Input2 >= 0);
            NodeKind kind = !onTape ? NodeKind.FrozenOp : executed ? NodeKind.ExecutedOp : NodeKind.Op;
            int node = Add(new GraphNode(kind, onTape ? gradFn : OpName(gradFn), ShapeMath.Format(_arena.ShapeOf(output))));
            _nodeOfSlot[output] = node;
            _graph.OpCount++;
            if (!onTape) _graph.FrozenOpCount++;
            if (executed) _graph.ExecutedOpCount++;
            foreach (int source in from) _graph._edges.Add(new GraphEdge(source, node));
        }

        public void AddRoot(int slot)
        {
            int source = NodeOf(slot);
            int node = Add(new GraphNode(NodeKind.Root, _names.TryGetValue(slot, out string? name) ? name : "output",
                ShapeMath.Format(_arena.ShapeOf(slot))));
            _graph._edges.Add(new GraphEdge(source, node));
        }

        private int NodeOf(int slot)
        {
            if (_nodeOfSlot.TryGetValue(slot, out int node)) return node;
            NodeKind kind = _arena.RequiresGrad(slot) ? NodeKind.Leaf : NodeKind.FrozenLeaf;
            string name = _names.TryGetValue(slot, out string? given) ? given : "slot " + slot.ToString(CultureInfo.InvariantCulture);
            node = Add(new GraphNode(kind, name, ShapeMath.Format(_arena.ShapeOf(slot))));
            _nodeOfSlot[slot] = node;
            _graph.LeafCount++;
            return node;
        }

        private int Add(GraphNode node)
        {
            _graph._nodes.Add(node);
            return _graph._nodes.Count - 1;
        }

        /// <summary>"AddmmBackward0" -> "Addmm": an op off the tape has no backward node, so it is named by what it did.</summary>
        private static string OpName(string gradFn)
        {
            int end = gradFn.Length;
            while (end > 0 && char.IsAsciiDigit(gradFn[end - 1])) end--;
            const string suffix = "Backward";
            return gradFn.AsSpan(0, end).EndsWith(suffix, StringComparison.Ordinal) ? gradFn[..(end - suffix.Length)] : gradFn;
        }
    }

    private enum NodeKind { Op, ExecutedOp, FrozenOp, Leaf, FrozenLeaf, Root }

    private readonly record struct GraphNode(NodeKind Kind, string Title, string Shape);

    private readonly record struct GraphEdge(int From, int To);
}
