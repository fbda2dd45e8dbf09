using System;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ArenaGrad.Environments;

/// <summary>N copies of gym's Pendulum-v1 stepped in lock-step: <c>PendulumEnv</c> wrapped in <c>TimeLimit(200)</c>,
/// with same-step auto-reset as gym's <c>SyncVectorEnv</c>. Allocates nothing after the constructor.</summary>
/// <remarks>
/// <para>State (θ, θ̇) per environment in double precision, θ = 0 upright; observations (cos θ, sin θ, θ̇) as float32,
/// environment-major (<c>observations[3·e + k]</c>). The episode never terminates; it is truncated on its 200th
/// step.</para>
/// <para>Step with torque u: u = clamp(u, −2, 2) in float32, as gym clips the float32 action, then widened to double;
/// cost = norm(θ)² + 0.1·θ̇² + 0.001·u², with
/// norm(θ) = ((θ + π) mod 2π) − π and a floored mod (Python's %); θ̇' = clamp(θ̇ + (3g/(2l)·sin θ + 3/(m·l²)·u)·dt, −8, 8);
/// θ' = θ + θ̇'·dt (semi-implicit); reward = −cost, from the state before the step.</para>
/// <para>Randomness: environment e owns an xoshiro256** generator seeded through splitmix64 with <c>seed + e</c>; a
/// reset draws θ from U(−π, π) and then θ̇ from U(−1, 1), each low + (high − low)·u with u = (bits &gt;&gt; 11)·2⁻⁵³ as
/// numpy's <c>Generator.uniform</c>.</para>
/// <para>Differences from gym: squares are products where gym calls <c>**</c> (libm pow), and a NaN torque is
/// rejected (gym passes it on and the state stays NaN for ever).</para>
/// </remarks>
public sealed class PendulumVector
{
    /// <summary>Values in one observation: cos θ, sin θ, θ̇.</summary>
    public const int ObservationSize = 3;

    /// <summary>The time limit: an episode is truncated on its 200th step.</summary>
    public const int MaxEpisodeSteps = 200;

    /// <summary>Torques are clamped to [−MaxTorque, MaxTorque].</summary>
    public const float MaxTorque = 2.0f;

    /// <summary>Angular speeds are clamped to [−MaxSpeed, MaxSpeed] rad/s.</summary>
    public const double MaxSpeed = 8.0;

    /// <summary>Seconds per step.</summary>
    public const double Dt = 0.05;

    /// <summary>g, m/s².</summary>
    public const double Gravity = 10.0;

    /// <summary>Mass of the pendulum, kg.</summary>
    public const double Mass = 1.0;

    /// <summary>Length of the pendulum, m.</summary>
    public const double Length = 1.0;

    private readonly double[] _state;
    private readonly Xoshiro256StarStar[] _generators;
    private readonly EpisodeBook _book;

    /// <summary>Creates <paramref name="envs"/> environments; environment e's generator is seeded with
    /// <c>seed + e</c> (wrapping). Call <see cref="Reset"/> before the first <see cref="Step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="envs"/> is not positive.</exception>
    public PendulumVector(int envs, ulong seed)
    {
        _book = new EpisodeBook("Pendulum-v1", envs, ObservationSize);
        _state = new double[envs * 2];
        _generators = new Xoshiro256StarStar[envs];
        for (int e = 0; e < envs; e++) _generators[e] = new Xoshiro256StarStar(unchecked(seed + (ulong)e));
    }

    /// <summary>Number of environments in the vector.</summary>
    public int Envs => _book.Envs;

    /// <summary>Running return of each environment's current episode (its reward sum so far, in double).</summary>
    public ReadOnlySpan<double> EpisodeReturns => _book.Returns;

    /// <summary>Steps taken so far in each environment's current episode.</summary>
    public ReadOnlySpan<int> EpisodeLengths => _book.Lengths;

    /// <summary>The episodes that ended in the last <see cref="Step"/>, in environment order; empty after
    /// <see cref="Reset"/>. A view of an internal buffer: the next Step overwrites it.</summary>
    public ReadOnlySpan<FinishedEpisode> FinishedEpisodes => _book.Finished;

    /// <summary>Row e (3 values) is environment e's observation before its auto-reset, for each env listed in
    /// <see cref="FinishedEpisodes"/> (gym's <c>info["final_observation"]</c>); other rows are stale. Pendulum
    /// episodes end only by truncation, so a critic may bootstrap from these.</summary>
    public ReadOnlySpan<float> FinalObservations => _book.FinalObservations;

    /// <summary>Episodes finished since construction.</summary>
    public long EpisodeCount => _book.EpisodeCount;

    /// <summary>Environment steps taken since construction: <see cref="Envs"/> per <see cref="Step"/>.</summary>
    public long TotalSteps => _book.TotalSteps;

    /// <summary>Environment <paramref name="env"/>'s state (θ, θ̇) in double precision; a view that the next step
    /// changes. θ is not wrapped: it accumulates as the pendulum turns, as in gym.</summary>
    public ReadOnlySpan<double> GetState(int env)
    {
        _book.CheckEnv(env);
        return _state.AsSpan(env * 2, 2);
    }

    /// <summary>Overwrites environment <paramref name="env"/>'s state (θ, θ̇), as assigning gym's <c>env.state</c>; the
    /// episode's step count and return are kept.</summary>
    /// <exception cref="ArgumentException"><paramref name="state"/> does not have 2 values.</exception>
    public void SetState(int env, ReadOnlySpan<double> state)
    {
        _book.CheckEnv(env);
        if (state.Length != 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Pendulum-v1: state must have 2 values (theta, theta_dot), got {state.Length}"), nameof(state));
        }
        state.CopyTo(_state.AsSpan(env * 2, 2));
    }

    /// <summary>gym's <c>angle_normalize</c>: ((θ + π) mod 2π) − π with Python's floored mod, so the result is in
    /// [−π, π) up to rounding (a θ just below an odd multiple of π can round to π).</summary>
    public static double NormalizeAngle(double theta)
    {
        const double period = 2 * Math.PI;
        double m = (theta + Math.PI) % period; // fmod: exact, with the sign of the dividend
        if (m < 0) m += period;
        else if (m == 0) m = 0.0; // Python returns +0 for a zero remainder (copysign(0, 2π)).
        return m - Math.PI;
    }

    /// <summary>Resets every environment (each draws a new state from its own generator, which is not reseeded) and
    /// writes the observations; episode returns and lengths start at zero.</summary>
    /// <param name="observations">Receives <see cref="Envs"/>·3 values, environment-major.</param>
    /// <exception cref="ArgumentException"><paramref name="observations"/> has the wrong length.</exception>
    public void Reset(Span<float> observations)
    {
        _book.CheckLength(observations.Length, ObservationSize, nameof(observations));
        for (int e = 0; e < Envs; e++) ResetOne(e, observations);
        _book.Reset();
    }

    /// <summary>Steps every environment with its torque, auto-resetting those that reach the time limit.</summary>
    /// <param name="actions">One torque per environment, clamped to [−2, 2]; ±∞ clamp to ±2.</param>
    /// <param name="observations">Receives the next observations, <see cref="Envs"/>·3 values; for an environment
    /// that ended, its new episode's first observation.</param>
    /// <param name="rewards">Receives each environment's reward, −cost of the state before the step.</param>
    /// <param name="terminated">Receives false: Pendulum has no terminal state.</param>
    /// <param name="truncated">Receives whether the episode reached 200 steps.</param>
    /// <exception cref="InvalidOperationException"><see cref="Reset"/> has not been called.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or a torque is NaN. Nothing is
    /// changed.</exception>
    public void Step(ReadOnlySpan<float> actions, Span<float> observations, Span<float> rewards, Span<bool> terminated,
        Span<bool> truncated)
    {
        _book.CheckReset();
        _book.CheckLength(actions.Length, 1, nameof(actions));
        _book.CheckLength(observations.Length, ObservationSize, nameof(observations));
        _book.CheckLength(rewards.Length, 1, nameof(rewards));
        _book.CheckLength(terminated.Length, 1, nameof(terminated));
        _book.CheckLength(truncated.Length, 1, nameof(truncated));
        for (int e = 0; e < actions.Length; e++)
        {
            if (float.IsNaN(actions[e])) ThrowNaNAction(e, nameof(actions));
        }

        _book.BeginStep();
        for (int e = 0; e < Envs; e++)
        {
            double reward = -Advance(ref _state[e * 2], ref _state[e * 2 + 1], actions[e]);
            rewards[e] = (float)reward;
            bool timeUp = _book.Record(e, reward) >= MaxEpisodeSteps;
            terminated[e] = false;
            truncated[e] = timeUp;
            if (timeUp)
            {
                WriteObservation(e, _book.FinalObservations);
                _book.Finish(e, terminated: false, truncated: true);
                ResetOne(e, observations);
            }
            else
            {
                WriteObservation(e, observations);
            }
        }
    }

    /// <summary>One semi-implicit Euler step of (θ, θ̇) in place; returns the cost of the state before it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Advance(ref double theta, ref double thetaDot, float action)
    {
        float u = Math.Clamp(action, -MaxTorque, MaxTorque);
        double th = theta, thDot = thetaDot;
        double normalized = NormalizeAngle(th);
        // Clamped in float32 as gym clips its float32 action; numpy 1.24 then squares that float32 scalar in double
        // (`u**2` with a Python int exponent is float64), so the square is taken after widening.
        double ud = u;
        double cost = normalized * normalized + 0.1 * (thDot * thDot) + 0.001 * (ud * ud);
        double newThetaDot = thDot + (3 * Gravity / (2 * Length) * Math.Sin(th) + 3.0 / (Mass * (Length * Length)) * ud) * Dt;
        newThetaDot = Math.Clamp(newThetaDot, -MaxSpeed, MaxSpeed);
        theta = th + newThetaDot * Dt;
        thetaDot = newThetaDot;
        return cost;
    }

    private void ResetOne(int e, Span<float> observations)
    {
        ref Xoshiro256StarStar generator = ref _generators[e];
        _state[e * 2] = generator.Uniform(-Math.PI, Math.PI);
        _state[e * 2 + 1] = generator.Uniform(-1.0, 1.0);
        WriteObservation(e, observations);
    }

    private void WriteObservation(int e, Span<float> observations)
    {
        double theta = _state[e * 2];
        observations[e * 3] = (float)Math.Cos(theta);
        observations[e * 3 + 1] = (float)Math.Sin(theta);
        observations[e * 3 + 2] = (float)_state[e * 2 + 1];
    }

    private static void ThrowNaNAction(int env, string parameter) => throw new ArgumentException(
        string.Create(CultureInfo.InvariantCulture,
            $"Pendulum-v1: actions[{env}] is NaN: the action space is Box(-2.0, 2.0, (1,), float32)"),
        parameter);
}
