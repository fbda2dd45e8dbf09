using System;

namespace ArenaGrad.Sequence;

/// <summary>
/// The Lorenz system dx/dt = σ(y − x), dy/dt = x(ρ − z) − y, dz/dt = xy − βz with the classic chaotic parameters,
/// integrated in double precision with classic fourth-order Runge-Kutta.
/// </summary>
/// <remarks>Its largest Lyapunov exponent is about 0.906, so nearby trajectories separate e-fold every 1.1 time units:
/// a one-step model can be excellent and still lose the path after a few Lyapunov times when it runs free. That is
/// the honest measure of a learned simulator, and what the demo reports.</remarks>
internal static class Lorenz
{
    public const double Sigma = 10, Rho = 28, Beta = 8.0 / 3.0;

    /// <summary>The largest Lyapunov exponent of these parameters (literature value).</summary>
    public const double LyapunovExponent = 0.9056;

    /// <summary>Integrator sub-steps per sample: the RK4 step is <c>dt / SubSteps</c>.</summary>
    public const int SubSteps = 4;

    /// <summary><paramref name="count"/> states [count, 3] sampled every <paramref name="dt"/>, starting from (1, 1, 1)
    /// after <paramref name="transient"/> samples thrown away (the path settles on the attractor first).</summary>
    public static double[] Trajectory(int count, double dt, int transient)
    {
        double x = 1, y = 1, z = 1;
        var states = new double[count * 3];
        double h = dt / SubSteps;
        for (int i = -transient; i < count; i++)
        {
            for (int s = 0; s < SubSteps; s++) Step(ref x, ref y, ref z, h);
            if (i < 0) continue;
            states[3 * i] = x;
            states[3 * i + 1] = y;
            states[3 * i + 2] = z;
        }
        return states;
    }

    /// <summary>One RK4 step of size <paramref name="h"/>.</summary>
    public static void Step(ref double x, ref double y, ref double z, double h)
    {
        (double ax, double ay, double az) = Derivative(x, y, z);
        (double bx, double by, double bz) = Derivative(x + 0.5 * h * ax, y + 0.5 * h * ay, z + 0.5 * h * az);
        (double cx, double cy, double cz) = Derivative(x + 0.5 * h * bx, y + 0.5 * h * by, z + 0.5 * h * bz);
        (double dx, double dy, double dz) = Derivative(x + h * cx, y + h * cy, z + h * cz);
        x += h / 6 * (ax + 2 * bx + 2 * cx + dx);
        y += h / 6 * (ay + 2 * by + 2 * cy + dy);
        z += h / 6 * (az + 2 * bz + 2 * cz + dz);
    }

    /// <summary>The right-hand side of the system at (x, y, z).</summary>
    public static (double X, double Y, double Z) Derivative(double x, double y, double z) =>
        (Sigma * (y - x), x * (Rho - z) - y, x * y - Beta * z);
}
