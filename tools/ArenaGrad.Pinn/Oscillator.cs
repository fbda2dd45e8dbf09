using System;

namespace ArenaGrad.Pinn;

/// <summary>How strongly an oscillator is damped: ζ = c / (2√(mk)) below, at or above 1.</summary>
internal enum Damping
{
    /// <summary>ζ &lt; 1: decaying oscillation.</summary>
    Under,

    /// <summary>ζ = 1: the fastest return without overshoot.</summary>
    Critical,

    /// <summary>ζ &gt; 1: two decaying exponentials.</summary>
    Over,
}

/// <summary>
/// The damped harmonic oscillator m·u'' + c·u' + k·u = 0 with u(0) = u₀ and u'(0) = v₀, and its closed-form solution in
/// double precision: the reference the network's fit is measured against.
/// </summary>
internal sealed class Oscillator
{
    // ζ within this of 1 counts as critical: the under- and over-damped forms divide by ω_d or by r₁ − r₂, which vanish there.
    private const double CriticalBand = 1e-6;

    private readonly double _gamma, _a, _b, _omega, _r1, _r2;

    /// <summary>The oscillator with the given constants and initial conditions (m &gt; 0, c ≥ 0, k &gt; 0).</summary>
    public Oscillator(double mass, double damping, double stiffness, double u0, double v0)
    {
        (Mass, DampingCoefficient, Stiffness, U0, V0) = (mass, damping, stiffness, u0, v0);
        NaturalFrequency = Math.Sqrt(stiffness / mass);
        DampingRatio = damping / (2 * Math.Sqrt(mass * stiffness));
        _gamma = damping / (2 * mass);
        if (Math.Abs(DampingRatio - 1) <= CriticalBand)
        {
            Regime = Damping.Critical;
            (_a, _b) = (u0, v0 + _gamma * u0);                   // u = (a + b·t)·e^(−γt)
        }
        else if (DampingRatio < 1)
        {
            Regime = Damping.Under;
            _omega = NaturalFrequency * Math.Sqrt(1 - DampingRatio * DampingRatio);
            (_a, _b) = (u0, (v0 + _gamma * u0) / _omega);        // u = e^(−γt)·(a·cos ω_d t + b·sin ω_d t)
        }
        else
        {
            Regime = Damping.Over;
            double root = Math.Sqrt(_gamma * _gamma - NaturalFrequency * NaturalFrequency);
            (_r1, _r2) = (-_gamma + root, -_gamma - root);
            _a = (v0 - _r2 * u0) / (_r1 - _r2);                   // u = a·e^(r₁t) + b·e^(r₂t), a + b = u₀, r₁a + r₂b = v₀
            _b = u0 - _a;
        }
    }

    /// <summary>The oscillator of <paramref name="options"/>.</summary>
    public static Oscillator From(PinnOptions options) => new(options.Mass, options.Damping, options.Stiffness,
        options.InitialPosition, options.InitialVelocity);

    /// <summary>m.</summary>
    public double Mass { get; }

    /// <summary>c.</summary>
    public double DampingCoefficient { get; }

    /// <summary>k.</summary>
    public double Stiffness { get; }

    /// <summary>u(0).</summary>
    public double U0 { get; }

    /// <summary>u'(0).</summary>
    public double V0 { get; }

    /// <summary>ω₀ = √(k/m), rad per unit time.</summary>
    public double NaturalFrequency { get; }

    /// <summary>ζ = c / (2√(mk)).</summary>
    public double DampingRatio { get; }

    /// <summary>Under-, critically or over-damped.</summary>
    public Damping Regime { get; }

    /// <summary>The damped angular frequency ω_d = ω₀√(1 − ζ²) when under-damped, else 0.</summary>
    public double DampedFrequency => _omega;

    /// <summary>The exact u(t).</summary>
    public double Position(double t) => Regime switch
    {
        Damping.Under => Math.Exp(-_gamma * t) * (_a * Math.Cos(_omega * t) + _b * Math.Sin(_omega * t)),
        Damping.Critical => (_a + _b * t) * Math.Exp(-_gamma * t),
        _ => _a * Math.Exp(_r1 * t) + _b * Math.Exp(_r2 * t),
    };

    /// <summary>The exact u'(t).</summary>
    public double Velocity(double t) => Regime switch
    {
        Damping.Under => Math.Exp(-_gamma * t) * ((_b * _omega - _gamma * _a) * Math.Cos(_omega * t)
                                                  - (_a * _omega + _gamma * _b) * Math.Sin(_omega * t)),
        Damping.Critical => (_b - _gamma * (_a + _b * t)) * Math.Exp(-_gamma * t),
        _ => _a * _r1 * Math.Exp(_r1 * t) + _b * _r2 * Math.Exp(_r2 * t),
    };
}
