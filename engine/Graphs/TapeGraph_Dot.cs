using System.Globalization;
using System.IO;
using System.Text;

namespace ArenaGrad.Graphs;

// Rendering: the snapshot as Graphviz DOT. Colours follow torchviz where it has them (blue leaves that require grad,
// green root); amber marks what the last backward ran, grey what requires_grad kept off the tape.
public sealed partial class TapeGraph
{
    private const string Amber = "\"#ffd54f\"", AmberBorder = "\"#e65100\"";
    private const string Grey = "\"#e0e0e0\"", GreyBorder = "\"#9e9e9e\"", GreyText = "\"#616161\"";

    /// <summary>The graph as DOT text (render it with <c>dot -Tsvg</c>).</summary>
    public string ToDot()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteDot(writer);
        return writer.ToString();
    }

    /// <summary>Writes the graph as DOT text to <paramref name="writer"/>. Lines end with '\n' on every platform,
    /// so the text is the same everywhere.</summary>
    public void WriteDot(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var text = new StringBuilder();
        text.Append("digraph TapeGraph {\n");
        text.Append("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, nodesep=0.3, ranksep=0.35, ordering=in, labelloc=b, labeljust=l, label=\"")
            .Append(Escape(Legend())).Append("\"];\n");
        text.Append("  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", fillcolor=white, color=\"#424242\"];\n");
        text.Append("  edge [color=\"#616161\", arrowsize=0.6];\n");

        bool[] inFrozenCluster = FrozenClusterMembers();
        if (Array.IndexOf(inFrozenCluster, true) >= 0)
        {
            text.Append("  subgraph cluster_frozen {\n");
            text.Append("    label=\"frozen: no input requires grad (or grad mode was off),\\nso not on the tape; backward never visits it\";\n");
            text.Append("    labelloc=t; style=\"dashed,rounded,filled\"; fillcolor=\"#f5f5f5\"; color=").Append(GreyBorder)
                .Append("; fontcolor=").Append(GreyText).Append(";\n");
            for (int i = 0; i < _nodes.Count; i++)
                if (inFrozenCluster[i]) AppendNode(text, i, "    ");
            text.Append("  }\n");
        }
        for (int i = 0; i < _nodes.Count; i++)
            if (!inFrozenCluster[i]) AppendNode(text, i, "  ");
        foreach (GraphEdge edge in _edges)
        {
            text.Append("  n").Append(edge.From.ToString(CultureInfo.InvariantCulture))
                .Append(" -> n").Append(edge.To.ToString(CultureInfo.InvariantCulture));
            NodeKind from = _nodes[edge.From].Kind, to = _nodes[edge.To].Kind;
            if (from is NodeKind.FrozenOp or NodeKind.FrozenLeaf) text.Append(" [color=").Append(GreyBorder).Append(']');
            else if (from is NodeKind.ExecutedOp or NodeKind.Leaf && to is NodeKind.ExecutedOp
                     || from is NodeKind.ExecutedOp && to is NodeKind.Root)
                text.Append(" [color=").Append(AmberBorder).Append(", penwidth=1.5]"); // a gradient flowed back along it
            text.Append(";\n");
        }
        text.Append("}\n");
        writer.Write(text.ToString());
    }

    private void AppendNode(StringBuilder text, int index, string indent)
    {
        GraphNode node = _nodes[index];
        text.Append(indent).Append('n').Append(index.ToString(CultureInfo.InvariantCulture))
            .Append(" [label=\"").Append(Escape(node.Title)).Append("\\n").Append(Escape(node.Shape)).Append('"');
        text.Append(node.Kind switch
        {
            NodeKind.ExecutedOp => $", fillcolor={Amber}, color={AmberBorder}, penwidth=2",
            NodeKind.FrozenOp => $", fillcolor={Grey}, color={GreyBorder}, fontcolor={GreyText}",
            NodeKind.Leaf => ", style=filled, fillcolor=lightblue, color=\"#1565c0\", penwidth=2",
            NodeKind.FrozenLeaf => $", style=filled, fillcolor={Grey}, color={GreyBorder}, fontcolor={GreyText}",
            NodeKind.Root => ", style=filled, fillcolor=darkolivegreen1",
            _ => "",
        });
        text.Append("];\n");
    }

    /// <summary>Frozen ops, and leaves that do not require grad and are read only by frozen ops.</summary>
    private bool[] FrozenClusterMembers()
    {
        var member = new bool[_nodes.Count];
        var readByOthers = new bool[_nodes.Count];
        for (int i = 0; i < _nodes.Count; i++) member[i] = _nodes[i].Kind == NodeKind.FrozenOp;
        foreach (GraphEdge edge in _edges)
            if (!member[edge.To]) readByOthers[edge.From] = true;
        foreach (GraphEdge edge in _edges)
            if (member[edge.To] && _nodes[edge.From].Kind == NodeKind.FrozenLeaf && !readByOthers[edge.From]) member[edge.From] = true;
        return member;
    }

    private string Legend()
    {
        var legend = new StringBuilder();
        int onTape = OpCount - FrozenOpCount;
        legend.Append(CultureInfo.InvariantCulture, $"amber: run by the last backward ({ExecutedOpCount} of {onTape} ops on the tape)");
        if (_traced) legend.Append(CultureInfo.InvariantCulture, $"   grey: frozen, off the tape ({FrozenOpCount} ops)");
        legend.Append("   blue: leaves that require grad");
        return legend.ToString();
    }

    /// <summary>A DOT double-quoted string's content: backslash and quote escaped, line breaks as DOT's \n, other
    /// control characters as spaces (DOT has no escape for them).</summary>
    internal static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': escaped.Append("\\\\"); break;
                case '"': escaped.Append("\\\""); break;
                case '\n': escaped.Append("\\n"); break;
                case '\r': break;
                default: escaped.Append(char.IsControl(c) ? ' ' : c); break;
            }
        }
        return escaped.ToString();
    }
}
