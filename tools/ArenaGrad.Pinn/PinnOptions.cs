using System;
using System.Globalization;

namespace ArenaGrad.Pinn;

/// <summary>The oscillator to solve and how; the defaults are what a run with no arguments does.</summary>
internal sealed record PinnOptions
{
    /// <summary>Adam steps; each evaluates u, u' and u'' at every collocation point and back-propagates the loss.</summary>
    public int Steps { get; init; } = 3000;

    /// <summary>Adam's starting learning rate; a cosine schedule takes it to 0 over <see cref="Steps"/>.</summary>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>Mass m in m·u'' + c·u' + k·u = 0.</summary>
    public float Mass { get; init; } = 1f;

    /// <summary>Damping coefficient c (0 = undamped).</summary>
    public float Damping { get; init; } = 0.4f;

    /// <summary>Spring constant k.</summary>
    public float Stiffness { get; init; } = 4f;

    /// <summary>Initial displacement u(0).</summary>
    public float InitialPosition { get; init; } = 1f;

    /// <summary>Initial velocity u'(0).</summary>
    public float InitialVelocity { get; init; }

    /// <summary>End of the time interval [0, T] the network learns.</summary>
    public float Duration { get; init; } = 5f;

    /// <summary>Collocation points, evenly spaced over [0, T], the first at t = 0 (where the initial conditions are taken).</summary>
    public int Points { get; init; } = 64;

    /// <summary>Width of the two hidden tanh layers of the MLP 1-H-H-1.</summary>
    public int Hidden { get; init; } = 32;

    /// <summary>Seed of the initial weights.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Folder for the PNGs (created if missing).</summary>
    public string OutputDirectory { get; init; } = "out";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Steps <= 0) throw Bad("--steps", "a positive integer", Steps);
        if (!(LearningRate > 0f) || !float.IsFinite(LearningRate)) throw Bad("--lr", "a positive number", LearningRate);
        if (!(Mass > 0f) || !float.IsFinite(Mass)) throw Bad("--mass", "a positive number", Mass);
        if (!(Damping >= 0f) || !float.IsFinite(Damping)) throw Bad("--damping", "a number >= 0", Damping);
        if (!(Stiffness > 0f) || !float.IsFinite(Stiffness)) throw Bad("--stiffness", "a positive number", Stiffness);
        if (!float.IsFinite(InitialPosition)) throw Bad("--u0", "a finite number", InitialPosition);
        if (!float.IsFinite(InitialVelocity)) throw Bad("--v0", "a finite number", InitialVelocity);
        if (!(Duration > 0f) || !float.IsFinite(Duration)) throw Bad("--duration", "a positive number", Duration);
        if (Points < 2) throw Bad("--points", "an integer of at least 2", Points);
        if (Hidden <= 0) throw Bad("--hidden", "a positive integer", Hidden);
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("--out expects a folder path, but got an empty string.");
    }

    private static ArgumentException Bad(string option, string expected, IFormattable got) =>
        new($"{option} expects {expected}, but got {got.ToString(null, CultureInfo.InvariantCulture)}.");
}
