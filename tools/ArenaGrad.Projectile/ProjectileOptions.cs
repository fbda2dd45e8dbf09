using System;
using System.Globalization;

namespace ArenaGrad.Projectile;

/// <summary>The shot to fit and how; the defaults are what a run with no arguments does.</summary>
internal sealed record ProjectileOptions
{
    /// <summary>Optimizer iterations; each simulates the whole flight and back-propagates through it.</summary>
    public int Iterations { get; init; } = 250;

    /// <summary>Adam's learning rate, in m/s per iteration.</summary>
    public float LearningRate { get; init; } = 1f;

    /// <summary>Target point, metres from the launch point (x along the ground, y up).</summary>
    public float TargetX { get; init; } = 100f;

    /// <summary>Target height in metres.</summary>
    public float TargetY { get; init; }

    /// <summary>Time at which the projectile must be at the target, seconds.</summary>
    public float FlightTime { get; init; } = 4f;

    /// <summary>Explicit integration steps over the flight.</summary>
    public int IntegrationSteps { get; init; } = 400;

    /// <summary>Quadratic drag coefficient k in a = g − k·|v|·v, per metre (a baseball: about 0.005).</summary>
    public float Drag { get; init; } = 0.01f;

    /// <summary>First guess: launch speed in m/s.</summary>
    public float InitialSpeed { get; init; } = 25f;

    /// <summary>First guess: launch angle above the ground, degrees.</summary>
    public float InitialAngle { get; init; } = 45f;

    /// <summary>Folder for the PNG (created if missing).</summary>
    public string OutputDirectory { get; init; } = "out";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Iterations <= 0) throw Bad("--iterations", "a positive integer", Iterations);
        if (!(LearningRate > 0f) || !float.IsFinite(LearningRate)) throw Bad("--lr", "a positive number", LearningRate);
        if (!float.IsFinite(TargetX)) throw Bad("--target-x", "a finite number", TargetX);
        if (!float.IsFinite(TargetY)) throw Bad("--target-y", "a finite number", TargetY);
        if (!(FlightTime > 0f) || !float.IsFinite(FlightTime)) throw Bad("--time", "a positive number of seconds", FlightTime);
        if (IntegrationSteps <= 0) throw Bad("--integration-steps", "a positive integer", IntegrationSteps);
        if (!(Drag >= 0f) || !float.IsFinite(Drag)) throw Bad("--drag", "a number >= 0", Drag);
        if (!(InitialSpeed > 0f) || !float.IsFinite(InitialSpeed)) throw Bad("--speed", "a positive number", InitialSpeed);
        if (!float.IsFinite(InitialAngle)) throw Bad("--angle", "a finite number of degrees", InitialAngle);
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("--out expects a folder path, but got an empty string.");
    }

    private static ArgumentException Bad(string option, string expected, IFormattable got) =>
        new($"{option} expects {expected}, but got {got.ToString(null, CultureInfo.InvariantCulture)}.");
}
