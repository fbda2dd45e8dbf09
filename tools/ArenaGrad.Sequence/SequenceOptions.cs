using System;
using System.Globalization;

namespace ArenaGrad.Sequence;

/// <summary>What to learn and how; the defaults are what a run with no arguments does.</summary>
internal sealed record SequenceOptions
{
    /// <summary>Adam steps; each runs every stream through one chunk of <see cref="Chunk"/> samples and back.</summary>
    public int Steps { get; init; } = 1500;

    /// <summary>Adam's starting learning rate; a cosine schedule takes it to 0 over <see cref="Steps"/>.</summary>
    public float LearningRate { get; init; } = 3e-3f;

    /// <summary>Units of the GRU's hidden state.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Stacked GRU layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Parallel streams through the training trajectory (the batch).</summary>
    public int Streams { get; init; } = 32;

    /// <summary>Samples per truncated-BPTT chunk: the gradient reaches this far back; the state reaches further.</summary>
    public int Chunk { get; init; } = 32;

    /// <summary>Time between samples, in Lorenz time units.</summary>
    public double Dt { get; init; } = 0.02;

    /// <summary>Samples of the training trajectory.</summary>
    public int TrainSamples { get; init; } = 20_000;

    /// <summary>Samples the trained GRU runs free, feeding back its own predictions, after a teacher-forced warm-up.</summary>
    public int FreeRun { get; init; } = 400;

    /// <summary>Seed of the initial weights (the trajectories do not depend on it).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Folder for the PNGs (created if missing).</summary>
    public string OutputDirectory { get; init; } = "out";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Steps <= 0) throw Bad("--steps", "a positive integer", Steps);
        if (!(LearningRate > 0f) || !float.IsFinite(LearningRate)) throw Bad("--lr", "a positive number", LearningRate);
        if (Hidden <= 0) throw Bad("--hidden", "a positive integer", Hidden);
        if (Layers <= 0) throw Bad("--layers", "a positive integer", Layers);
        if (Streams <= 0) throw Bad("--streams", "a positive integer", Streams);
        if (Chunk <= 0) throw Bad("--chunk", "a positive integer", Chunk);
        if (!(Dt > 0) || !(Dt <= 0.1)) throw Bad("--dt", "a number in (0, 0.1]", Dt);
        if (TrainSamples < Streams * (Chunk + 1)) throw Bad("--train-samples", $"at least streams × (chunk + 1) = {Streams * (Chunk + 1)}", TrainSamples);
        if (FreeRun <= 0) throw Bad("--free-run", "a positive integer", FreeRun);
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("--out expects a folder path, but got an empty string.");
    }

    private static ArgumentException Bad(string option, string expected, IFormattable got) =>
        new($"{option} expects {expected}, but got {got.ToString(null, CultureInfo.InvariantCulture)}.");
}
