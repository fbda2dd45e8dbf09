using System;

namespace ArenaGrad.Agents;

/// <summary>
/// Off-policy transition storage for SAC (CleanRL's <c>ReplayBuffer</c> from stable-baselines3, with
/// <c>optimize_memory_usage=False</c>): a ring of <see cref="Capacity"/> transitions (o, o', a, r, terminated) in
/// arena tensors, and uniform minibatches drawn with replacement from the transitions stored so far.
/// </summary>
/// <remarks>
/// The storage tensors and the Int32 index tensor are made in the constructor, outside any scope, and never require
/// grad. <see cref="Add"/> writes rows in place and <see cref="Sample"/> rewrites the index tensor: neither allocates
/// managed memory, and <see cref="Sample"/> leaves nothing in the arena (its uniform draws live in a scope).
/// </remarks>
internal sealed class ReplayBuffer
{
    private readonly Arena _arena;
    private int _position;

    /// <summary>Makes the storage for <paramref name="capacity"/> transitions and the index tensor of
    /// <paramref name="batchSize"/> indices in <paramref name="arena"/>.</summary>
    /// <exception cref="ArgumentException">A size that is not positive.</exception>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    public ReplayBuffer(Arena arena, int capacity, int observationSize, int actionSize, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(arena);
        RequirePositive(capacity, nameof(capacity));
        RequirePositive(observationSize, nameof(observationSize));
        RequirePositive(actionSize, nameof(actionSize));
        RequirePositive(batchSize, nameof(batchSize));
        _arena = arena;
        Capacity = capacity;
        ObservationSize = observationSize;
        ActionSize = actionSize;
        using (arena.NoGrad())
        {
            Observations = arena.Zeros([capacity, observationSize]);
            NextObservations = arena.Zeros([capacity, observationSize]);
            Actions = arena.Zeros([capacity, actionSize]);
            Rewards = arena.Zeros([capacity]);
            Dones = arena.Zeros([capacity]);
            Index = arena.Zeros([batchSize], DType.Int32);
        }
    }

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"ReplayBuffer expected {name} > 0, but got {value}.", name);
    }

    /// <summary>Transitions the ring holds at most; the oldest is overwritten after that (SB3's <c>buffer_size</c>).</summary>
    public int Capacity { get; }

    /// <summary>Floats per observation.</summary>
    public int ObservationSize { get; }

    /// <summary>Floats per action.</summary>
    public int ActionSize { get; }

    /// <summary>Transitions stored (at most <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Transitions per minibatch: the length of <see cref="Index"/>.</summary>
    public int BatchSize => Index.Count;

    /// <summary>o, [capacity, observationSize].</summary>
    public Tensor Observations { get; }

    /// <summary>o' as the environment returned it before any auto-reset (gym's <c>final_observation</c> for an episode
    /// that ended), [capacity, observationSize].</summary>
    public Tensor NextObservations { get; }

    /// <summary>a, [capacity, actionSize].</summary>
    public Tensor Actions { get; }

    /// <summary>r, [capacity].</summary>
    public Tensor Rewards { get; }

    /// <summary>1 where the episode terminated (not truncated) on this transition, else 0; [capacity].</summary>
    public Tensor Dones { get; }

    /// <summary>Int32 [batchSize]: the rows of the last <see cref="Sample"/>, for <c>IndexSelect(0, Index)</c>.</summary>
    public Tensor Index { get; }

    /// <summary>Stores one transition per environment (spans environment-major: envs × observationSize, envs ×
    /// actionSize, envs, envs). Allocates nothing.</summary>
    /// <exception cref="ArgumentException">Spans whose lengths do not describe the same number of environments.</exception>
    public void Add(ReadOnlySpan<float> observations, ReadOnlySpan<float> nextObservations, ReadOnlySpan<float> actions,
        ReadOnlySpan<float> rewards, ReadOnlySpan<bool> terminated)
    {
        int envs = rewards.Length;
        if (observations.Length != envs * ObservationSize || nextObservations.Length != envs * ObservationSize
            || actions.Length != envs * ActionSize || terminated.Length != envs)
            ThrowLengths(envs, observations.Length, nextObservations.Length, actions.Length, terminated.Length);
        // Rows are written through the spans, as SB3 assigns numpy rows: no graph reads the storage between updates.
        Span<float> obs = Observations.AsSpanUnsafely(), next = NextObservations.AsSpanUnsafely(),
            act = Actions.AsSpanUnsafely(), reward = Rewards.AsSpanUnsafely(), done = Dones.AsSpanUnsafely();
        for (int e = 0; e < envs; e++)
        {
            int row = _position;
            observations.Slice(e * ObservationSize, ObservationSize).CopyTo(obs.Slice(row * ObservationSize, ObservationSize));
            nextObservations.Slice(e * ObservationSize, ObservationSize).CopyTo(next.Slice(row * ObservationSize, ObservationSize));
            actions.Slice(e * ActionSize, ActionSize).CopyTo(act.Slice(row * ActionSize, ActionSize));
            reward[row] = rewards[e];
            done[row] = terminated[e] ? 1f : 0f;
            _position = (_position + 1) % Capacity;
            Count = Math.Min(Count + 1, Capacity);
        }
    }

    private void ThrowLengths(int envs, int observations, int nextObservations, int actions, int terminated) =>
        throw new ArgumentException(
            $"ReplayBuffer.Add expected {envs * ObservationSize} observations and next observations, {envs * ActionSize} actions " +
            $"and {envs} terminated flags for {envs} rewards, but got {observations}, {nextObservations}, {actions} and {terminated}.");

    /// <summary>Draws <see cref="BatchSize"/> rows uniformly with replacement from the <see cref="Count"/> stored, with
    /// the arena's generator (SB3's <c>np.random.randint(0, upper_bound, size=batch_size)</c>), writes them into
    /// <see cref="Index"/> and returns it. Allocates nothing.</summary>
    /// <exception cref="InvalidOperationException">The buffer is empty.</exception>
    public Tensor Sample()
    {
        if (Count == 0) throw new InvalidOperationException("ReplayBuffer.Sample expected at least one stored transition, but the buffer is empty.");
        Span<int> index = Index.AsIntSpanUnsafely();
        using (_arena.Scope())
        {
            Tensor draws = _arena.Rand([index.Length]);
            ReadOnlySpan<float> u = draws.AsSpanUnsafely();
            // u < 1 has 24 bits; the product is exact in double, so every row is below Count.
            for (int i = 0; i < index.Length; i++) index[i] = (int)(u[i] * (double)Count);
        }
        return Index;
    }
}
