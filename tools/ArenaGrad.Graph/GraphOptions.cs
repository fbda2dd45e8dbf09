using System;
using System.Globalization;

namespace ArenaGrad.Graph;

/// <summary>What the graph tool builds and where it writes; the defaults are what a run with no arguments does.</summary>
internal sealed record GraphOptions
{
    /// <summary>Folder for graph.dot and graph.svg (created if missing).</summary>
    public string OutputDirectory { get; init; } = ".";

    /// <summary>Width W of the extractor's layers (Linear 64→W, ReLU, Linear W→W, ReLU).</summary>
    public int Width { get; init; } = 128;

    /// <summary>Rows in the batch.</summary>
    public int Batch { get; init; } = 32;

    /// <summary>Seeds the weights and the data.</summary>
    public ulong Seed { get; init; } = 5;

    /// <summary>The Graphviz program that renders the SVG: a name looked up on PATH, or a path.</summary>
    public string DotCommand { get; init; } = "dot";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Width <= 0) throw Bad("--width", Width);
        if (Batch <= 0) throw Bad("--batch", Batch);
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("--out expects a folder path, but got an empty string.");
        if (string.IsNullOrWhiteSpace(DotCommand)) throw new ArgumentException("--dot expects a program name or path, but got an empty string.");
    }

    private static ArgumentException Bad(string option, int got) =>
        new($"{option} expects a positive integer, but got {got.ToString(CultureInfo.InvariantCulture)}.");
}
