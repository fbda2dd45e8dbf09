using System;

namespace ArenaGrad.Environments;

/// <summary>The bookkeeping both vectors share: per-environment running return and length, the episodes that ended in
/// the last step (in environment order), the final observations they discarded, and the span checks with their
/// messages. All buffers are sized once in the constructor, so nothing here allocates after it.</summary>
internal sealed class EpisodeBook
{
    private readonly string _name;
    private readonly FinishedEpisode[] _finished;
    private int _finishedCount;

    public EpisodeBook(string name, int envs, int observationSize)
    {
        if (envs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(envs), envs,
                $"{name}: the number of environments must be positive, got {envs.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        _name = name;
        Envs = envs;
        ObservationSize = observationSize;
        Returns = new double[envs];
        Lengths = new int[envs];
        FinalObservations = new float[envs * observationSize];
        _finished = new FinishedEpisode[envs];
    }

    public int Envs { get; }

    public int ObservationSize { get; }

    /// <summary>Running return of each environment's current episode.</summary>
    public double[] Returns { get; }

    /// <summary>Steps taken in each environment's current episode.</summary>
    public int[] Lengths { get; }

    /// <summary>Row e holds environment e's last observation before its auto-reset, for the envs that ended last step.</summary>
    public float[] FinalObservations { get; }

    /// <summary>Whether <see cref="Reset"/> has run: stepping before it is an error, as in gym's OrderEnforcing.</summary>
    public bool HasReset { get; private set; }

    public long EpisodeCount { get; private set; }

    public long TotalSteps { get; private set; }

    public ReadOnlySpan<FinishedEpisode> Finished => _finished.AsSpan(0, _finishedCount);

    /// <summary>Starts every environment's episode afresh (returns and lengths zero, no finished episodes).</summary>
    public void Reset()
    {
        Array.Clear(Returns);
        Array.Clear(Lengths);
        _finishedCount = 0;
        HasReset = true;
    }

    /// <summary>Called at the start of a step, after the arguments were checked.</summary>
    public void BeginStep()
    {
        _finishedCount = 0;
        TotalSteps += Envs;
    }

    /// <summary>Adds one step's reward to environment <paramref name="env"/>'s episode; returns the episode's length.</summary>
    public int Record(int env, double reward)
    {
        Returns[env] += reward;
        return ++Lengths[env];
    }

    /// <summary>Moves environment <paramref name="env"/>'s episode to the finished list and starts a new one.</summary>
    public void Finish(int env, bool terminated, bool truncated)
    {
        _finished[_finishedCount++] = new FinishedEpisode(env, Returns[env], Lengths[env], terminated, truncated);
        EpisodeCount++;
        Returns[env] = 0;
        Lengths[env] = 0;
    }

    /// <summary>Throws unless Reset ran: gym's OrderEnforcing message.</summary>
    public void CheckReset()
    {
        if (!HasReset) throw new InvalidOperationException($"{_name}: Cannot call env.step() before calling env.reset()");
    }

    /// <summary>Throws unless <paramref name="length"/> is <paramref name="perEnv"/> values for each environment.</summary>
    public void CheckLength(int length, int perEnv, string parameter)
    {
        int expected = Envs * perEnv;
        if (length != expected)
        {
            string what = perEnv == 1
                ? $"one per environment ({Envs})"
                : $"{perEnv} per environment for {Envs} environments ({expected})";
            throw new ArgumentException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{_name}: {parameter} must have {what} elements, got {length}"),
                parameter);
        }
    }

    /// <summary>Throws unless <paramref name="env"/> indexes an environment.</summary>
    public void CheckEnv(int env)
    {
        if ((uint)env >= (uint)Envs)
        {
            throw new ArgumentOutOfRangeException(nameof(env), env,
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{_name}: env must be in [0, {Envs}), got {env}"));
        }
    }
}
