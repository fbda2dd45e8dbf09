using System.Collections.Generic;

namespace ArenaGrad.Projectile;

/// <summary>A launch velocity, also as speed and angle.</summary>
/// <param name="Vx">Horizontal component, m/s.</param>
/// <param name="Vy">Vertical component, m/s.</param>
internal readonly record struct Launch(float Vx, float Vy)
{
    /// <summary>|v| in m/s.</summary>
    public float Speed => System.MathF.Sqrt(Vx * Vx + Vy * Vy);

    /// <summary>Angle above the ground in degrees.</summary>
    public float AngleDegrees => System.MathF.Atan2(Vy, Vx) * (180f / System.MathF.PI);

    /// <summary>The launch with speed <paramref name="speed"/> at <paramref name="degrees"/> above the ground.</summary>
    public static Launch FromSpeedAndAngle(float speed, float degrees)
    {
        float radians = degrees * (System.MathF.PI / 180f);
        return new Launch(speed * System.MathF.Cos(radians), speed * System.MathF.Sin(radians));
    }
}

/// <summary>What a fit measured and wrote.</summary>
/// <param name="Initial">The first guess.</param>
/// <param name="Fitted">The launch after the last iteration.</param>
/// <param name="InitialMiss">Distance from the target at the flight time with the first guess, metres.</param>
/// <param name="FinalMiss">The same with the fitted launch.</param>
/// <param name="Losses">Squared miss distance (m²) before each iteration's update.</param>
/// <param name="IterationsPerSecond">Iterations per second after warm-up, timing the iterations alone.</param>
/// <param name="MeasuredIterations">Iterations after warm-up, over which bytes and rate are measured.</param>
/// <param name="ManagedBytesPerIteration">Managed bytes this thread allocated per iteration after warm-up.</param>
/// <param name="GcCollections">Garbage collections (any generation) while the loop ran.</param>
/// <param name="TensorsPerIteration">Tensors one iteration makes (the graph through the whole flight).</param>
/// <param name="ReservedBytes">Native memory the arena holds at the end of the loop.</param>
/// <param name="Files">Files written.</param>
internal sealed record ProjectileResult(
    Launch Initial,
    Launch Fitted,
    float InitialMiss,
    float FinalMiss,
    float[] Losses,
    double IterationsPerSecond,
    int MeasuredIterations,
    double ManagedBytesPerIteration,
    int GcCollections,
    int TensorsPerIteration,
    long ReservedBytes,
    IReadOnlyList<string> Files)
{
    /// <summary>0 when the fit ended finite, 1 when it diverged.</summary>
    public int ExitCode => float.IsFinite(FinalMiss) ? 0 : 1;
}
