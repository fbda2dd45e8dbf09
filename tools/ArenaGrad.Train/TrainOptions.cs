using System;
using System.Globalization;

namespace ArenaGrad.Train;

/// <summary>What the main job trains and where it writes; the defaults are what a run with no arguments does.</summary>
internal sealed record TrainOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1500;

    /// <summary>Seeds the data set, the weight initialisation and the mini-batch order.</summary>
    public ulong Seed { get; init; } = 7;

    /// <summary>Adam's learning rate.</summary>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>Folder for the PNGs and the weights (created if missing).</summary>
    public string OutputDirectory { get; init; } = "out";

    /// <summary>Points in the data set, half per spiral.</summary>
    public int Points { get; init; } = 400;

    /// <summary>Width of both hidden layers.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Points per step; 0 trains on the full data set every step.</summary>
    public int BatchSize { get; init; }

    /// <summary>Standard deviation of the Gaussian noise added to every coordinate.</summary>
    public double Noise { get; init; } = 0.03;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Steps <= 0) throw Bad("--steps", "a positive integer", Steps);
        if (!(LearningRate > 0f) || !float.IsFinite(LearningRate)) throw Bad("--lr", "a positive number", LearningRate);
        if (Points < 2 || Points % 2 != 0) throw Bad("--points", "an even number of at least 2", Points);
        if (Hidden <= 0) throw Bad("--hidden", "a positive integer", Hidden);
        if (BatchSize < 0 || BatchSize > Points) throw Bad("--batch", $"0 (full batch) or 1..{Points}", BatchSize);
        if (!(Noise >= 0) || !double.IsFinite(Noise)) throw Bad("--noise", "a number >= 0", Noise);
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("--out expects a folder path, but got an empty string.");
    }

    private static ArgumentException Bad(string option, string expected, IFormattable got) =>
        new($"{option} expects {expected}, but got {got.ToString(null, CultureInfo.InvariantCulture)}.");
}
