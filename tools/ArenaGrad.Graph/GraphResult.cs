using ArenaGrad.Graphs;

namespace ArenaGrad.Graph;

/// <summary>What a run wrote and drew.</summary>
/// <param name="Graph">The traced step's graph.</param>
/// <param name="DotPath">The DOT file.</param>
/// <param name="SvgPath">The SVG file, or null when Graphviz was not found or failed.</param>
/// <param name="Loss">The step's loss.</param>
/// <param name="ExitCode">0; 1 when dot was found but failed.</param>
internal sealed record GraphResult(TapeGraph Graph, string DotPath, string? SvgPath, float Loss, int ExitCode);
