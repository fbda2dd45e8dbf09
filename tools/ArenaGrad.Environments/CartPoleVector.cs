using System;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ArenaGrad.Environments;

/// <summary>N copies of gym's CartPole-v1 stepped in lock-step: <c>CartPoleEnv</c> with Euler integration, wrapped in
/// <c>TimeLimit(500)</c>, with same-step auto-reset as gym's <c>SyncVectorEnv</c>. Allocates nothing after the
/// constructor.</summary>
/// <remarks>
/// <para>State (x, ẋ, θ, θ̇) per environment, in double precision; observations are the same four values as float32,
/// environment-major (<c>observations[4·e + k]</c>). Reward 1 on every step, the terminating one included.</para>
/// <para>Step, with F = ±10 and every right-hand side the value before the step (Barto, Sutton and Anderson 1983 with
/// the friction terms zero, in gym's form):
/// temp = (F + m_p·l·θ̇²·sin θ)/M; θ̈ = (g·sin θ − cos θ·temp)/(l·(4/3 − m_p·cos²θ/M)); ẍ = temp − m_p·l·θ̈·cos θ/M;
/// x += τ·ẋ; ẋ += τ·ẍ; θ += τ·θ̇; θ̇ += τ·θ̈. Terminated when |x| &gt; 2.4 or |θ| &gt; 12° (strict, on the new state);
/// truncated when the episode has run 500 steps.</para>
/// <para>Auto-reset: an environment that is terminated or truncated is reset in the same <see cref="Step"/>; the step
/// reports its reward and flags, and its observation row is the new episode's first observation. The discarded final
/// observation is kept in <see cref="FinalObservations"/> until the next step, and the episode's return and length in
/// <see cref="FinishedEpisodes"/>.</para>
/// <para>Randomness: environment e owns an xoshiro256** generator seeded through splitmix64 with <c>seed + e</c>; a
/// reset draws x, ẋ, θ, θ̇ in that order from U(−0.05, 0.05) = −0.05 + 0.1·u, u = (bits &gt;&gt; 11)·2⁻⁵³, as numpy's
/// <c>Generator.uniform</c> (not numpy's PCG64 stream: only the distribution matches gym). A vector with the same
/// seed and the same actions produces the same bits.</para>
/// <para>Differences from gym's arithmetic: θ̇² and cos²θ are products (θ̇·θ̇) where gym calls <c>**</c> (libm pow);
/// about 0.1% of squarings then differ in the last bit, and the unstable dynamics carry that forward.</para>
/// </remarks>
public sealed class CartPoleVector
{
    /// <summary>Values in one observation: x, ẋ, θ, θ̇.</summary>
    public const int ObservationSize = 4;

    /// <summary>Number of discrete actions: 0 pushes left, 1 pushes right.</summary>
    public const int ActionCount = 2;

    /// <summary>The time limit: an episode is truncated on its 500th step.</summary>
    public const int MaxEpisodeSteps = 500;

    /// <summary>g, m/s².</summary>
    public const double Gravity = 9.8;

    /// <summary>Mass of the cart, kg.</summary>
    public const double MassCart = 1.0;

    /// <summary>Mass of the pole, kg.</summary>
    public const double MassPole = 0.1;

    /// <summary>Half the pole's length, m.</summary>
    public const double Length = 0.5;

    /// <summary>Magnitude of the force an action applies, N.</summary>
    public const double ForceMagnitude = 10.0;

    /// <summary>Seconds per step.</summary>
    public const double Tau = 0.02;

    /// <summary>|x| beyond this terminates the episode.</summary>
    public const double XThreshold = 2.4;

    /// <summary>|θ| beyond this terminates the episode: 12·2π/360 rad, computed in gym's order.</summary>
    public const double ThetaThresholdRadians = 12 * 2 * Math.PI / 360;

    /// <summary>Resets draw each state component from U(−ResetBound, ResetBound).</summary>
    public const double ResetBound = 0.05;

    // Derived in gym's order, so the doubles are gym's doubles.
    private const double TotalMass = MassPole + MassCart;
    private const double PoleMassLength = MassPole * Length;

    private readonly double[] _state;
    private readonly Xoshiro256StarStar[] _generators;
    private readonly EpisodeBook _book;

    /// <summary>Creates <paramref name="envs"/> environments; environment e's generator is seeded with
    /// <c>seed + e</c> (wrapping). Call <see cref="Reset"/> before the first <see cref="Step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="envs"/> is not positive.</exception>
    public CartPoleVector(int envs, ulong seed)
    {
        _book = new EpisodeBook("CartPole-v1", envs, ObservationSize);
        _state = new double[envs * ObservationSize];
        _generators = new Xoshiro256StarStar[envs];
        for (int e = 0; e < envs; e++) _generators[e] = new Xoshiro256StarStar(unchecked(seed + (ulong)e));
    }

    /// <summary>Number of environments in the vector.</summary>
    public int Envs => _book.Envs;

    /// <summary>Running return of each environment's current episode (its reward sum so far).</summary>
    public ReadOnlySpan<double> EpisodeReturns => _book.Returns;

    /// <summary>Steps taken so far in each environment's current episode.</summary>
    public ReadOnlySpan<int> EpisodeLengths => _book.Lengths;

    /// <summary>The episodes that ended in the last <see cref="Step"/>, in environment order; empty after
    /// <see cref="Reset"/>. A view of an internal buffer: the next Step overwrites it.</summary>
    public ReadOnlySpan<FinishedEpisode> FinishedEpisodes => _book.Finished;

    /// <summary>Row e (4 values) is environment e's observation before its auto-reset, for each env listed in
    /// <see cref="FinishedEpisodes"/> (gym's <c>info["final_observation"]</c>); other rows are stale.</summary>
    public ReadOnlySpan<float> FinalObservations => _book.FinalObservations;

    /// <summary>Episodes finished since construction.</summary>
    public long EpisodeCount => _book.EpisodeCount;

    /// <summary>Environment steps taken since construction: <see cref="Envs"/> per <see cref="Step"/>.</summary>
    public long TotalSteps => _book.TotalSteps;

    /// <summary>Environment <paramref name="env"/>'s state (x, ẋ, θ, θ̇) in double precision; a view that the next
    /// step changes.</summary>
    public ReadOnlySpan<double> GetState(int env)
    {
        _book.CheckEnv(env);
        return _state.AsSpan(env * ObservationSize, ObservationSize);
    }

    /// <summary>Overwrites environment <paramref name="env"/>'s state (x, ẋ, θ, θ̇), as assigning gym's
    /// <c>env.state</c>; the episode's step count and return are kept.</summary>
    /// <exception cref="ArgumentException"><paramref name="state"/> does not have 4 values.</exception>
    public void SetState(int env, ReadOnlySpan<double> state)
    {
        _book.CheckEnv(env);
        if (state.Length != ObservationSize)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"CartPole-v1: state must have 4 values (x, x_dot, theta, theta_dot), got {state.Length}"), nameof(state));
        }
        state.CopyTo(_state.AsSpan(env * ObservationSize, ObservationSize));
    }

    /// <summary>Resets every environment (each draws a new state from its own generator, which is not reseeded) and
    /// writes the observations; episode returns and lengths start at zero.</summary>
    /// <param name="observations">Receives <see cref="Envs"/>·4 values, environment-major.</param>
    /// <exception cref="ArgumentException"><paramref name="observations"/> has the wrong length.</exception>
    public void Reset(Span<float> observations)
    {
        _book.CheckLength(observations.Length, ObservationSize, nameof(observations));
        for (int e = 0; e < Envs; e++) ResetOne(e, observations);
        _book.Reset();
    }

    /// <summary>Steps every environment with its action, auto-resetting those that end.</summary>
    /// <param name="actions">One action per environment, 0 (push left) or 1 (push right).</param>
    /// <param name="observations">Receives the next observations, <see cref="Envs"/>·4 values; for an environment
    /// that ended, its new episode's first observation.</param>
    /// <param name="rewards">Receives each environment's reward (1).</param>
    /// <param name="terminated">Receives whether the pole fell or the cart left the track.</param>
    /// <param name="truncated">Receives whether the episode reached 500 steps.</param>
    /// <exception cref="InvalidOperationException"><see cref="Reset"/> has not been called.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or an action is not 0 or 1. Nothing is
    /// changed.</exception>
    public void Step(ReadOnlySpan<int> actions, Span<float> observations, Span<float> rewards, Span<bool> terminated,
        Span<bool> truncated)
    {
        _book.CheckReset();
        _book.CheckLength(actions.Length, 1, nameof(actions));
        _book.CheckLength(observations.Length, ObservationSize, nameof(observations));
        _book.CheckLength(rewards.Length, 1, nameof(rewards));
        _book.CheckLength(terminated.Length, 1, nameof(terminated));
        _book.CheckLength(truncated.Length, 1, nameof(truncated));
        // Every action is checked before any environment moves, so a bad one leaves the vector as it was.
        for (int e = 0; e < actions.Length; e++)
        {
            if ((uint)actions[e] >= ActionCount) ThrowBadAction(e, actions[e], nameof(actions));
        }

        _book.BeginStep();
        Span<double> all = _state;
        for (int e = 0; e < Envs; e++)
        {
            Span<double> s = all.Slice(e * ObservationSize, ObservationSize);
            bool done = Advance(s, actions[e]);
            const double reward = 1.0;
            rewards[e] = (float)reward;
            bool timeUp = _book.Record(e, reward) >= MaxEpisodeSteps;
            terminated[e] = done;
            truncated[e] = timeUp;
            if (done || timeUp)
            {
                WriteObservation(s, _book.FinalObservations.AsSpan(e * ObservationSize, ObservationSize));
                _book.Finish(e, done, timeUp);
                ResetOne(e, observations);
            }
            else
            {
                WriteObservation(s, observations.Slice(e * ObservationSize, ObservationSize));
            }
        }
    }

    /// <summary>One Euler step of state <paramref name="s"/> in place; returns whether the new state is terminal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Advance(Span<double> s, int action)
    {
        double x = s[0], xDot = s[1], theta = s[2], thetaDot = s[3];
        double force = action == 1 ? ForceMagnitude : -ForceMagnitude;
        double cosTheta = Math.Cos(theta);
        double sinTheta = Math.Sin(theta);
        double temp = (force + PoleMassLength * (thetaDot * thetaDot) * sinTheta) / TotalMass;
        double thetaAcc = (Gravity * sinTheta - cosTheta * temp)
            / (Length * (4.0 / 3.0 - MassPole * (cosTheta * cosTheta) / TotalMass));
        double xAcc = temp - PoleMassLength * thetaAcc * cosTheta / TotalMass;

        // Explicit Euler: positions move with the old velocities.
        x += Tau * xDot;
        xDot += Tau * xAcc;
        theta += Tau * thetaDot;
        thetaDot += Tau * thetaAcc;
        s[0] = x;
        s[1] = xDot;
        s[2] = theta;
        s[3] = thetaDot;
        return x < -XThreshold || x > XThreshold || theta < -ThetaThresholdRadians || theta > ThetaThresholdRadians;
    }

    private void ResetOne(int e, Span<float> observations)
    {
        Span<double> s = _state.AsSpan(e * ObservationSize, ObservationSize);
        ref Xoshiro256StarStar generator = ref _generators[e];
        for (int k = 0; k < ObservationSize; k++) s[k] = generator.Uniform(-ResetBound, ResetBound);
        WriteObservation(s, observations.Slice(e * ObservationSize, ObservationSize));
    }

    private static void WriteObservation(ReadOnlySpan<double> s, Span<float> observation)
    {
        for (int k = 0; k < ObservationSize; k++) observation[k] = (float)s[k];
    }

    private static void ThrowBadAction(int env, int action, string parameter) => throw new ArgumentException(
        string.Create(CultureInfo.InvariantCulture,
            $"CartPole-v1: actions[{env}] = {action} invalid: the action space is Discrete(2), actions 0 (push left) and 1 (push right)"),
        parameter);
}
