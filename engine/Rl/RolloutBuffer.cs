using System.Collections.Generic;

namespace ArenaGrad.Rl;

/// <summary>
/// On-policy rollout storage for PPO and A2C (CleanRL <c>ppo.py</c>'s <c>obs</c>, <c>actions</c>, <c>logprobs</c>,
/// <c>rewards</c>, <c>dones</c> and <c>values</c> tensors, SB3's <c>RolloutBuffer</c>): <see cref="Steps"/> ×
/// <see cref="Envs"/> transitions in arena-resident tensors, generalized advantage estimation, and shuffled minibatch
/// indices.
/// </summary>
/// <remarks>
/// <para>One rollout: <see cref="Add(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{bool}, ReadOnlySpan{float})"/>
/// once per vector step until <see cref="IsFull"/>, then <see cref="ComputeReturnsAndAdvantages"/>, then epochs of
/// <see cref="Minibatches"/> whose index tensors pick rows of the <c>Batch*</c> views with <c>IndexSelect(0, index)</c>,
/// then <see cref="Reset"/>.</para>
/// <para><c>dones[t]</c> follows CleanRL: it says that <c>observations[t]</c> begins a new episode (the done flag the
/// environments returned on the step before). A truncated episode is handled as a terminated one, as in CleanRL.</para>
/// <para>The tensors are made when the buffer is constructed, outside any scope, as a module's parameters are; they
/// never require grad. Add, Minibatches and ComputeReturnsAndAdvantages allocate no managed memory.</para>
/// </remarks>
public sealed class RolloutBuffer
{
    private readonly int[] _permutation;
    private readonly List<Tensor> _indexTensors = []; // one Int32 [batch / count] tensor per count used, made on first use

    /// <summary>Makes the storage tensors in <paramref name="arena"/>: observations [steps, envs, observationSize];
    /// actions Int32 [steps, envs] when <paramref name="actionShape"/> is 0 (a discrete action), else Float32
    /// [steps, envs, actionShape]; log-probabilities, rewards, dones (1 or 0), values, advantages and returns
    /// [steps, envs]; and their flattened views over steps × envs (the <c>Batch*</c> properties).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size that is not positive, or a negative action shape.</exception>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    public RolloutBuffer(Arena arena, int steps, int envs, int observationSize, int actionShape = 0)
    {
        ArgumentNullException.ThrowIfNull(arena);
        RequirePositive(steps, nameof(steps));
        RequirePositive(envs, nameof(envs));
        RequirePositive(observationSize, nameof(observationSize));
        if (actionShape < 0)
            throw new ArgumentOutOfRangeException(nameof(actionShape), actionShape,
                $"Expected actionShape 0 (a discrete action) or a positive number of action components, but got {actionShape}.");
        long batch = (long)steps * envs;
        if (batch * Math.Max(observationSize, Math.Max(actionShape, 1)) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(steps), steps,
                $"Expected steps × envs × observationSize below 2^31 elements, but got {steps} × {envs} × {observationSize}.");
        arena.ThrowIfScopeOpen("RolloutBuffer makes its storage tensors when it is constructed", "Construct the rollout buffer");
        Arena = arena;
        Steps = steps;
        Envs = envs;
        ObservationSize = observationSize;
        ActionShape = actionShape;
        BatchSize = steps * envs;
        using (arena.NoGrad())
        {
            using OpTransaction op = arena.BeginOp(); // every tensor, or none
            Observations = arena.Zeros([steps, envs, observationSize]);
            Actions = actionShape == 0 ? arena.Zeros([steps, envs], DType.Int32) : arena.Zeros([steps, envs, actionShape]);
            LogProbs = arena.Zeros([steps, envs]);
            Rewards = arena.Zeros([steps, envs]);
            Dones = arena.Zeros([steps, envs]);
            Values = arena.Zeros([steps, envs]);
            Advantages = arena.Zeros([steps, envs]);
            Returns = arena.Zeros([steps, envs]);
            BatchObservations = Observations.Reshape(BatchSize, observationSize);
            BatchActions = actionShape == 0 ? Actions.Reshape(BatchSize) : Actions.Reshape(BatchSize, actionShape);
            BatchLogProbs = LogProbs.Reshape(BatchSize);
            BatchValues = Values.Reshape(BatchSize);
            BatchAdvantages = Advantages.Reshape(BatchSize);
            BatchReturns = Returns.Reshape(BatchSize);
            op.Commit();
        }
        _permutation = new int[BatchSize];
        for (int i = 0; i < _permutation.Length; i++) _permutation[i] = i;
    }

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"Expected {name} > 0, but got {value}.");
    }

    /// <summary>The arena holding the storage.</summary>
    public Arena Arena { get; }

    /// <summary>T: vector steps per rollout (CleanRL's <c>num_steps</c>).</summary>
    public int Steps { get; }

    /// <summary>N: environments stepped side by side (<c>num_envs</c>).</summary>
    public int Envs { get; }

    /// <summary>Floats per observation.</summary>
    public int ObservationSize { get; }

    /// <summary>0 for a discrete action (Int32 actions), else the number of floats per continuous action.</summary>
    public int ActionShape { get; }

    /// <summary>T × N: transitions per rollout (<c>batch_size</c>).</summary>
    public int BatchSize { get; }

    /// <summary>Vector steps added since construction or <see cref="Reset"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Whether <see cref="Steps"/> steps have been added.</summary>
    public bool IsFull => Count == Steps;

    /// <summary>[T, N, observationSize]</summary>
    public Tensor Observations { get; }

    /// <summary>Int32 [T, N] for a discrete action, else Float32 [T, N, actionShape].</summary>
    public Tensor Actions { get; }

    /// <summary>log π_old(a), [T, N].</summary>
    public Tensor LogProbs { get; }

    /// <summary>[T, N]</summary>
    public Tensor Rewards { get; }

    /// <summary>1 where <c>observations[t]</c> begins a new episode, else 0; Float32 [T, N] (CleanRL's <c>dones</c>).</summary>
    public Tensor Dones { get; }

    /// <summary>V_old(s), [T, N].</summary>
    public Tensor Values { get; }

    /// <summary>GAE advantages Â, [T, N], written by <see cref="ComputeReturnsAndAdvantages"/>.</summary>
    public Tensor Advantages { get; }

    /// <summary>Â + V, [T, N], written by <see cref="ComputeReturnsAndAdvantages"/>.</summary>
    public Tensor Returns { get; }

    /// <summary><see cref="Observations"/> as [T·N, observationSize] (CleanRL's <c>b_obs</c>), sharing its values.</summary>
    public Tensor BatchObservations { get; }

    /// <summary><see cref="Actions"/> as [T·N] or [T·N, actionShape] (<c>b_actions</c>), sharing its values.</summary>
    public Tensor BatchActions { get; }

    /// <summary><see cref="LogProbs"/> as [T·N] (<c>b_logprobs</c>).</summary>
    public Tensor BatchLogProbs { get; }

    /// <summary><see cref="Values"/> as [T·N] (<c>b_values</c>).</summary>
    public Tensor BatchValues { get; }

    /// <summary><see cref="Advantages"/> as [T·N] (<c>b_advantages</c>).</summary>
    public Tensor BatchAdvantages { get; }

    /// <summary><see cref="Returns"/> as [T·N] (<c>b_returns</c>).</summary>
    public Tensor BatchReturns { get; }

    /// <summary>Stores one vector step of a discrete-action rollout at row <see cref="Count"/>: each span holds one
    /// entry per environment (observations: envs × observationSize, row-major). Allocates nothing.</summary>
    /// <param name="observations">o_t for every env.</param>
    /// <param name="actions">a_t for every env.</param>
    /// <param name="logProbs">log π(a_t | o_t) for every env.</param>
    /// <param name="rewards">r_t, the reward the step returned.</param>
    /// <param name="dones">Whether o_t begins a new episode (the done flag returned by the previous step).</param>
    /// <param name="values">V(o_t).</param>
    /// <exception cref="InvalidOperationException">The buffer is full, or it holds continuous actions.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length. Nothing is written then.</exception>
    public void Add(ReadOnlySpan<float> observations, ReadOnlySpan<int> actions, ReadOnlySpan<float> logProbs,
        ReadOnlySpan<float> rewards, ReadOnlySpan<bool> dones, ReadOnlySpan<float> values)
    {
        if (ActionShape != 0)
            throw new InvalidOperationException(
                $"This RolloutBuffer holds continuous actions of {ActionShape} floats (actionShape {ActionShape}), but Add got Int32 actions. Pass the actions as floats.");
        CheckAdd(observations.Length, actions.Length, Envs, logProbs.Length, rewards.Length, dones.Length, values.Length);
        actions.CopyTo(Arena.IntValues(Actions.Slot).Slice(Count * Envs, Envs));
        Store(observations, logProbs, rewards, dones, values);
    }

    /// <summary>Stores one vector step of a continuous-action rollout: as the discrete overload, with
    /// <paramref name="actions"/> holding envs × actionShape floats, row-major. Allocates nothing.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full, or it holds discrete actions.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length. Nothing is written then.</exception>
    public void Add(ReadOnlySpan<float> observations, ReadOnlySpan<float> actions, ReadOnlySpan<float> logProbs,
        ReadOnlySpan<float> rewards, ReadOnlySpan<bool> dones, ReadOnlySpan<float> values)
    {
        if (ActionShape == 0)
            throw new InvalidOperationException(
                "This RolloutBuffer holds discrete actions (actionShape 0, Int32), but Add got float actions. Pass the actions as ints, or construct the buffer with actionShape > 0.");
        CheckAdd(observations.Length, actions.Length, Envs * ActionShape, logProbs.Length, rewards.Length, dones.Length, values.Length);
        int row = Envs * ActionShape;
        actions.CopyTo(Arena.Values(Actions.Slot).Slice(Count * row, row));
        Store(observations, logProbs, rewards, dones, values);
    }

    private void CheckAdd(int observations, int actions, int actionLength, int logProbs, int rewards, int dones, int values)
    {
        Arena.ThrowIfCapturing(Capture.CaptureRefusal.InPlace, "RolloutBuffer.Add");
        if (Count == Steps)
            throw new InvalidOperationException(
                $"RolloutBuffer is full: it holds {Steps} steps of {Envs} envs. Call ComputeReturnsAndAdvantages and the update, then Reset() before adding the next rollout.");
        // The messages are built only on failure: Add allocates nothing.
        if (observations != Envs * ObservationSize)
            ThrowLength("observations", observations, Envs * ObservationSize, $"envs × observationSize = {Envs} × {ObservationSize}");
        if (actions != actionLength)
            ThrowLength("actions", actions, actionLength, ActionShape == 0 ? "one per env" : $"envs × actionShape = {Envs} × {ActionShape}");
        if (logProbs != Envs) ThrowLength("logProbs", logProbs, Envs, "one per env");
        if (rewards != Envs) ThrowLength("rewards", rewards, Envs, "one per env");
        if (dones != Envs) ThrowLength("dones", dones, Envs, "one per env");
        if (values != Envs) ThrowLength("values", values, Envs, "one per env");
    }

    private static void ThrowLength(string name, int length, int expected, string what) =>
        throw new ArgumentException($"RolloutBuffer.Add expects {expected} {name} ({what}), but the span has {length}.", name);

    private void Store(ReadOnlySpan<float> observations, ReadOnlySpan<float> logProbs, ReadOnlySpan<float> rewards,
        ReadOnlySpan<bool> dones, ReadOnlySpan<float> values)
    {
        Arena arena = Arena;
        int at = Count * Envs;
        observations.CopyTo(arena.Values(Observations.Slot).Slice(at * ObservationSize, Envs * ObservationSize));
        logProbs.CopyTo(arena.Values(LogProbs.Slot).Slice(at, Envs));
        rewards.CopyTo(arena.Values(Rewards.Slot).Slice(at, Envs));
        values.CopyTo(arena.Values(Values.Slot).Slice(at, Envs));
        Span<float> done = arena.Values(Dones.Slot).Slice(at, Envs);
        for (int i = 0; i < done.Length; i++) done[i] = dones[i] ? 1f : 0f;
        // The writes bypass autograd as an optimizer's do; the version bump makes backward refuse a graph that read the old values.
        arena.BumpVersion(Observations.Slot);
        arena.BumpVersion(Actions.Slot);
        arena.BumpVersion(LogProbs.Slot);
        arena.BumpVersion(Rewards.Slot);
        arena.BumpVersion(Dones.Slot);
        arena.BumpVersion(Values.Slot);
        Count++;
    }

    /// <summary>GAE(γ, λ), as CleanRL's <c>ppo.py</c> (and SB3): for t = T−1 down to 0,
    /// δ_t = r_t + γ·V_{t+1}·(1 − d_{t+1}) − V_t, Â_t = δ_t + γλ·(1 − d_{t+1})·Â_{t+1} (Â_T = 0), R_t = Â_t + V_t,
    /// where V_T and d_T are <paramref name="lastValues"/> and <paramref name="lastDones"/>. Writes
    /// <see cref="Advantages"/> and <see cref="Returns"/> in float32, with PyTorch's order of operations
    /// (γλ is formed in double from the decimals written, as Python does). Allocates nothing.</summary>
    /// <param name="lastValues">V(o_T) for the observation after the last step: <see cref="Envs"/> floats, of shape
    /// [envs], [1, envs] or [envs, 1].</param>
    /// <param name="lastDones">Whether o_T begins a new episode (the last step's done flags), one per env.</param>
    /// <param name="gamma">Discount γ.</param>
    /// <param name="gaeLambda">GAE λ.</param>
    /// <exception cref="InvalidOperationException">The buffer is not full.</exception>
    /// <exception cref="ArgumentException"><paramref name="lastValues"/> or <paramref name="lastDones"/> does not hold one
    /// entry per env, or <paramref name="lastValues"/> is not Float32. Nothing is written then.</exception>
    public void ComputeReturnsAndAdvantages(Tensor lastValues, ReadOnlySpan<bool> lastDones, float gamma, float gaeLambda)
    {
        Arena arena = Arena;
        arena.ThrowIfCapturing(Capture.CaptureRefusal.InPlace, "RolloutBuffer.ComputeReturnsAndAdvantages");
        if (Count != Steps)
            throw new InvalidOperationException(
                $"ComputeReturnsAndAdvantages expects a full rollout of {Steps} steps, but {Count} have been added.");
        if (lastValues.DType != DType.Float32)
            throw new ArgumentException($"Expected lastValues of dtype Float32, but got {lastValues.DType}.", nameof(lastValues));
        if (lastValues.Count != Envs)
            throw new ArgumentException(
                $"Expected lastValues to hold one value per env ({Envs}), but got shape {ShapeMath.Format(lastValues.Shape)}.", nameof(lastValues));
        if (lastDones.Length != Envs)
            throw new ArgumentException($"Expected lastDones to hold one flag per env ({Envs}), but the span has {lastDones.Length}.", nameof(lastDones));
        // Python multiplies the two hyperparameters in double, then PyTorch rounds the scalar to float32.
        float gammaF = (float)Nn.PythonFloat.ToDouble(gamma);
        float gammaLambda = (float)(Nn.PythonFloat.ToDouble(gamma) * Nn.PythonFloat.ToDouble(gaeLambda));
        ReadOnlySpan<float> last = lastValues.Arena.Values(lastValues.Slot);
        ReadOnlySpan<float> rewards = arena.Values(Rewards.Slot), values = arena.Values(Values.Slot), dones = arena.Values(Dones.Slot);
        Span<float> advantages = arena.Values(Advantages.Slot), returns = arena.Values(Returns.Slot);
        int n = Envs;
        for (int e = 0; e < n; e++)
        {
            float lastGae = 0f;
            for (int t = Steps - 1; t >= 0; t--)
            {
                int i = t * n + e;
                float nextNonTerminal, nextValue;
                if (t == Steps - 1)
                {
                    nextNonTerminal = 1f - (lastDones[e] ? 1f : 0f);
                    nextValue = last[e];
                }
                else
                {
                    nextNonTerminal = 1f - dones[i + n];
                    nextValue = values[i + n];
                }
                // One rounding per operation, left to right, as the tensor expression in ppo.py evaluates.
                float delta = rewards[i] + gammaF * nextValue * nextNonTerminal - values[i];
                lastGae = delta + gammaLambda * nextNonTerminal * lastGae;
                advantages[i] = lastGae;
            }
        }
        for (int i = 0; i < advantages.Length; i++) returns[i] = advantages[i] + values[i];
        arena.BumpVersion(Advantages.Slot);
        arena.BumpVersion(Returns.Slot);
    }

    /// <summary>Draws a fresh permutation of the T·N transition indices from the arena's generator (Fisher–Yates) and
    /// returns an enumerator over its <paramref name="count"/> consecutive chunks, each an Int32 [T·N / count] index
    /// tensor for <c>IndexSelect(0, index)</c> on the <c>Batch*</c> views: one epoch of CleanRL's
    /// <c>np.random.shuffle(b_inds)</c> loop. Allocates nothing after the first call with a given count.</summary>
    /// <remarks>Every chunk is written into the same index tensor, so a minibatch's index is valid until the next
    /// <c>MoveNext</c>: finish the minibatch's backward first (its version counter catches a late backward). The tensor
    /// is made on the first call with a given count, which therefore must come outside any arena scope.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in [1, T·N], or does not divide T·N.</exception>
    /// <exception cref="InvalidOperationException">The first call with this count comes inside an arena scope.</exception>
    public MinibatchEnumerator Minibatches(int count)
    {
        if (count < 1 || count > BatchSize)
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"Expected a number of minibatches in [1, {BatchSize}] (steps × envs = {Steps} × {Envs}), but got {count}.");
        if (BatchSize % count != 0)
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"Expected a number of minibatches that divides the batch of steps × envs = {BatchSize} transitions (so every minibatch has one shape), but got {count}.");
        int size = BatchSize / count;
        Tensor index = IndexTensor(size);
        Shuffle();
        return new MinibatchEnumerator(_permutation, index, size);
    }

    private Tensor IndexTensor(int size)
    {
        foreach (Tensor tensor in _indexTensors)
            if (tensor.Count == size) return tensor;
        Arena.ThrowIfScopeOpen($"RolloutBuffer.Minibatches makes its index tensor of {size} indices on the first call with a count",
            "Make the first call with each count");
        Tensor made = Arena.Zeros([size], DType.Int32);
        _indexTensors.Add(made);
        return made;
    }

    private void Shuffle()
    {
        int[] permutation = _permutation;
        for (int i = 0; i < permutation.Length; i++) permutation[i] = i; // a fresh permutation per epoch, as np.random.permutation
        if (permutation.Length < 2) return;
        // Uniform draws from the arena's generator through its public factory: the scope returns the temporary's memory.
        using (Arena.Scope())
        {
            Tensor draws = Arena.Rand([permutation.Length - 1]);
            ReadOnlySpan<float> u = Arena.Values(draws.Slot);
            for (int i = permutation.Length - 1; i > 0; i--)
            {
                int j = (int)(u[permutation.Length - 1 - i] * (double)(i + 1)); // exact in double, so j ≤ i
                (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
            }
        }
    }

    /// <summary>Forgets the stored steps (<see cref="Count"/> = 0) so the next rollout can be added; the values stay
    /// until overwritten.</summary>
    public void Reset() => Count = 0;

    /// <summary>The minibatches of one epoch (see <see cref="Minibatches"/>): a struct, so <c>foreach</c> allocates
    /// nothing. Do not copy it while enumerating.</summary>
    public struct MinibatchEnumerator
    {
        private readonly int[] _permutation;
        private readonly Tensor _index;
        private readonly int _size;
        private int _next;

        internal MinibatchEnumerator(int[] permutation, Tensor index, int size)
        {
            _permutation = permutation;
            _index = index;
            _size = size;
            _next = 0;
        }

        /// <summary>The Int32 index tensor of the current minibatch.</summary>
        public readonly Tensor Current => _index;

        /// <summary>Writes the next chunk of the permutation into the index tensor.</summary>
        public bool MoveNext()
        {
            if (_permutation is null || _next + _size > _permutation.Length) return false;
            _index.CopyFrom(new ReadOnlySpan<int>(_permutation, _next, _size));
            _next += _size;
            return true;
        }

        /// <summary>This enumerator, for <c>foreach</c>.</summary>
        public readonly MinibatchEnumerator GetEnumerator() => this;
    }
}
