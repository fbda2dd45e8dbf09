using System;
using System.Collections.Generic;
using System.Globalization;
using ArenaGrad.Capture;
using ArenaGrad.Distributions;
using ArenaGrad.Environments;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Rl;

namespace ArenaGrad.Agents;

/// <summary>
/// PPO on CartPole-v1 as CleanRL's <c>ppo.py</c> runs it (../shared/rl/cartpole.md, section 2): a rollout of
/// <see cref="PpoSettings.RolloutSteps"/> vector steps with a Categorical policy, GAE, then epochs of shuffled minibatches
/// with the clipped surrogate, the clipped value loss and the entropy bonus, global gradient-norm clipping and Adam.
/// </summary>
/// <remarks>
/// Everything persistent (networks, Adam's moments, the rollout buffer, the inference input) is made in the constructor,
/// outside any scope; each policy step and each minibatch runs in its own <c>arena.Scope()</c>, so an iteration allocates
/// no managed memory and the arena's footprint is flat after the first iteration.
/// <para>With <see cref="AgentOptions.Captured"/> the two fixed-shape steps are captured plans, made once per run and
/// living in the arena's root (as long as the networks): the policy's inference (actor, its Categorical normalization
/// and critic on the persistent observation tensor) is captured in the constructor and replayed every vector step,
/// while sampling (which draws random numbers, refused in a capture) and the log-probability of the sampled action
/// stay eager on the captured Categorical's tensors; the minibatch update is captured by the first update of the run
/// (so its one eager execution is that update) with <see cref="ClippedOptimizer"/> doing the gradient-norm clip and
/// Adam's step, and replayed on the buffer's reused index tensor for every later minibatch. Replays are bitwise eager,
/// so the learning curve is eager mode's.</para>
/// </remarks>
internal sealed class CartPolePpo : IAgentTrainer, IDisposable
{
    /// <summary>Mean return of the last 20 episodes that counts as solved (CartPole-v1's threshold).</summary>
    public const double SolvedReturn = 475;

    private readonly AgentOptions _options;
    private readonly PpoSettings _settings;
    private readonly CartPoleVector _envs;
    private readonly ActorCritic _agent;
    private readonly Adam _optimizer;
    private readonly IReadOnlyList<Tensor> _parameters;
    private readonly RolloutBuffer _buffer;
    private readonly Tensor _observation;       // [envs, 4]: the policy's input for one vector step
    private float[] _nextObservations, _stepObservations;
    private readonly int[] _actions;
    private readonly float[] _logProbs, _values, _rewards;
    private readonly bool[] _terminated, _truncated, _dones, _nextDones;

    // Captured mode only (null otherwise).
    private readonly CapturedStep? _inference;  // _observation -> V(s) [envs, 1]; also rewrites _policy's tensors
    private readonly Categorical _policy;       // the distribution the inference plan computes, read after each replay
    private readonly Tensor _logits;            // the actor's raw output in that plan, for the NaN check eager mode makes
    private readonly ClippedOptimizer? _clipped;
    private CapturedStep? _update;              // minibatch index -> PPO loss, with backward, clip and Adam's step
    private PpoLoss _updateLoss;                // the captured update's loss terms, for the diagnostics

    /// <summary>Builds the arena, the environments, the agent, Adam and the rollout buffer for <paramref name="options"/>.</summary>
    public CartPolePpo(AgentOptions options, PpoSettings? settings = null)
    {
        _settings = settings ?? new PpoSettings();
        _options = options;
        options.Validate();
        _settings.Validate(options.Envs);
        int envs = options.Envs;
        Iterations = options.IterationsOf(_settings.RolloutSteps, "rollout");
        Seed = options.Seed;
        Arena = new Arena(options.ArenaOptions());
        _envs = new CartPoleVector(envs, options.Seed);
        _agent = new ActorCritic(Arena, CartPoleVector.ObservationSize, CartPoleVector.ActionCount, _settings.Hidden);
        _parameters = _agent.Parameters();
        _optimizer = new Adam(_parameters, (float)_settings.LearningRate, eps: _settings.AdamEps);
        _buffer = new RolloutBuffer(Arena, _settings.RolloutSteps, envs, CartPoleVector.ObservationSize);
        _observation = Arena.Zeros([envs, CartPoleVector.ObservationSize]);
        _nextObservations = new float[envs * CartPoleVector.ObservationSize];
        _stepObservations = new float[_nextObservations.Length];
        _actions = new int[envs];
        _logProbs = new float[envs];
        _values = new float[envs];
        _rewards = new float[envs];
        _terminated = new bool[envs];
        _truncated = new bool[envs];
        _dones = new bool[envs];
        _nextDones = new bool[envs];
        Window = new ReturnWindow(20, SolvedReturn);
        if (options.Captured)
        {
            _clipped = new ClippedOptimizer(_optimizer, _settings.MaxGradNorm);
            (_inference, _policy, _logits) = CaptureInference();
        }
    }

    /// <summary>Captures actor, Categorical and critic on <see cref="_observation"/> in the root (no scope is open
    /// here), so the plan lasts the run. The capture runs them once on zeros: no random draw, nothing learned.</summary>
    private (CapturedStep Step, Categorical Policy, Tensor Logits) CaptureInference()
    {
        Categorical policy = default;
        Tensor logits = default;
        CapturedStep step;
        using (Arena.NoGrad())
            step = Arena.Capture(_observation, observation =>
            {
                logits = _agent.Actor.Forward(observation);
                policy = new Categorical(logits);
                return _agent.Critic.Forward(observation);
            });
        return (step, policy, logits);
    }

    /// <summary>The check Categorical's constructor makes in eager mode (NaN in the normalized logits), which a replay
    /// skips: the constructor reads the values on the host without being refused, so it checked only the capture's
    /// values. On NaN, the constructor runs again eagerly on this step's logits and throws eager mode's exception.</summary>
    private void ThrowIfPolicyIsNaN()
    {
        foreach (float value in _policy.Logits.AsSpanUnsafely())
            if (float.IsNaN(value))
            {
                _ = new Categorical(_logits);
                throw new InvalidOperationException("The policy's normalized logits hold NaN."); // not reached: the constructor throws
            }
    }

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"PPO on CartPole-v1, {_envs.Envs} envs × {_settings.RolloutSteps} steps, {_settings.Epochs} epochs of " +
        $"{_settings.Minibatches} minibatches, actor and critic 4-{_settings.Hidden}-{_settings.Hidden} tanh, Adam " +
        $"{_settings.LearningRate}{(_settings.AnnealLearningRate ? " annealed" : "")}, {Iterations} iterations, seed {Seed}" +
        $"{(_inference is null ? "" : ", captured steps")}");

    /// <inheritdoc />
    public string Environment => "CartPole-v1";

    /// <summary>The run's seed.</summary>
    public ulong Seed { get; }

    /// <inheritdoc />
    public Arena Arena { get; }

    /// <inheritdoc />
    public int Iterations { get; }

    /// <inheritdoc />
    public long GlobalStep { get; private set; }

    /// <inheritdoc />
    public long TotalSteps => (long)Iterations * _buffer.BatchSize;

    /// <inheritdoc />
    public ReturnWindow Window { get; }

    /// <inheritdoc />
    public int ObservationSize => CartPoleVector.ObservationSize;

    /// <inheritdoc />
    public Module Policy => _agent.Actor;

    /// <summary>The agent (critic and actor).</summary>
    public ActorCritic Agent => _agent;

    /// <summary>The last minibatch's losses and diagnostics, as CleanRL logs them.</summary>
    public PpoDiagnostics LastDiagnostics { get; private set; }

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor> StateDict() => _agent.StateDict();

    /// <inheritdoc />
    public void WarmUp()
    {
        using var copy = new CartPolePpo(_options with { TotalSteps = _buffer.BatchSize, Seed = _options.Seed + 1 }, _settings);
        copy.Start();
        copy.RunIteration(1);
    }

    /// <inheritdoc />
    public void Start()
    {
        _envs.Reset(_nextObservations);
        Array.Clear(_nextDones);
    }

    /// <inheritdoc />
    public void RunIteration(int iteration)
    {
        if (_settings.AnnealLearningRate)
            _optimizer.LearningRate = (float)((1.0 - (iteration - 1.0) / Iterations) * _settings.LearningRate);
        for (int t = 0; t < _settings.RolloutSteps; t++) RolloutStep();
        using (Arena.Scope())
        using (Arena.NoGrad())
        {
            _observation.CopyFrom(_nextObservations);
            Tensor lastValues = _inference is null ? _agent.Critic.Forward(_observation) : _inference.Replay();
            _buffer.ComputeReturnsAndAdvantages(lastValues, _nextDones, _settings.Gamma, _settings.GaeLambda);
        }
        for (int epoch = 0; epoch < _settings.Epochs; epoch++)
            foreach (Tensor index in _buffer.Minibatches(_settings.Minibatches))
                if (_clipped is null) Update(index, epoch == _settings.Epochs - 1);
                else CapturedUpdate(index, epoch == _settings.Epochs - 1);
        _buffer.Reset();
    }

    /// <summary>One vector step: store the observation and done flags, act, step the environments.</summary>
    private void RolloutStep()
    {
        (_stepObservations, _nextObservations) = (_nextObservations, _stepObservations);
        Array.Copy(_nextDones, _dones, _dones.Length);
        using (Arena.Scope())
        using (Arena.NoGrad())
        {
            _observation.CopyFrom(_stepObservations);
            if (_inference is null)
            {
                var policy = new Categorical(_agent.Actor.Forward(_observation));
                Tensor action = policy.Sample();
                policy.LogProb(action).CopyTo(_logProbs);
                _agent.Critic.Forward(_observation).CopyTo(_values);
                action.CopyTo(_actions);
            }
            else
            {
                Tensor values = _inference.Replay(); // rewrites _policy's logits and probabilities too
                ThrowIfPolicyIsNaN();
                Tensor action = _policy.Sample();
                _policy.LogProb(action).CopyTo(_logProbs);
                values.CopyTo(_values);
                action.CopyTo(_actions);
            }
        }
        GlobalStep += _envs.Envs;
        _envs.Step(_actions, _nextObservations, _rewards, _terminated, _truncated);
        for (int e = 0; e < _nextDones.Length; e++) _nextDones[e] = _terminated[e] | _truncated[e];
        _buffer.Add(_stepObservations, _actions, _logProbs, _rewards, _dones, _values);
        foreach (FinishedEpisode episode in _envs.FinishedEpisodes) Window.Add(episode.Return, GlobalStep);
    }

    /// <summary>One gradient step on the minibatch <paramref name="index"/> picks (ppo.py's inner loop).</summary>
    private void Update(Tensor index, bool recordDiagnostics)
    {
        _optimizer.ZeroGrad();
        using (Arena.Scope())
        {
            PpoLoss loss = PpoLoss.Compute(_agent, _buffer, index, _settings);
            loss.Total.Backward();
            if (recordDiagnostics) LastDiagnostics = loss.Diagnostics();
        }
        Functional.ClipGradNorm(_parameters, _settings.MaxGradNorm);
        _optimizer.Step();
    }

    /// <summary><see cref="Update"/> as a captured step: the run's first minibatch captures it (running it once, eagerly:
    /// that is the first update), every later one replays it. The plan lives in the root, as long as the run.</summary>
    private void CapturedUpdate(Tensor index, bool recordDiagnostics)
    {
        if (_update is null) (_update, _updateLoss) = CaptureUpdate(index);
        else
        {
            // RolloutBuffer.Minibatches writes every minibatch into one index tensor per count; the plan reads that one.
            if (!index.Equals(_update.Input))
                throw new InvalidOperationException("The minibatch index tensor is not the one the update was captured with.");
            _update.Replay();
        }
        if (recordDiagnostics)
            using (Arena.Scope())
                LastDiagnostics = _updateLoss.Diagnostics();
    }

    private (CapturedStep Step, PpoLoss Loss) CaptureUpdate(Tensor index)
    {
        PpoLoss loss = default;
        CapturedStep step = Arena.CaptureTraining(index, minibatch =>
        {
            loss = PpoLoss.Compute(_agent, _buffer, minibatch, _settings);
            return loss.Total;
        }, _clipped!);
        return (step, loss);
    }

    /// <inheritdoc />
    public void Dispose() => Arena.Dispose();
}
