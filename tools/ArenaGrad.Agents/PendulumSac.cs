using System;
using System.Collections.Generic;
using System.Globalization;
using ArenaGrad.Distributions;
using ArenaGrad.Environments;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Agents;

/// <summary>
/// SAC on Pendulum-v1 as CleanRL's <c>sac_continuous_action.py</c> runs it: a tanh-squashed Normal actor, two Q
/// networks with Polyak-averaged targets, automatic entropy tuning, a replay buffer filled with uniform random actions
/// for the first <see cref="SacSettings.LearningStarts"/> steps, then one Q step per vector step and, every
/// <see cref="SacSettings.PolicyFrequency"/>-th step, that many actor and α steps.
/// </summary>
/// <remarks>
/// <para>An iteration is <see cref="SacSettings.StepsPerIteration"/> vector steps (one 200-step episode per
/// environment). The step counters that gate learning, the delayed actor update and the target update are vector
/// steps, as CleanRL's <c>global_step</c>; <see cref="GlobalStep"/> counts environment steps.</para>
/// <para>Everything persistent (networks, Adam's moments, the replay buffer, the inference input) is made in the
/// constructor, outside any scope; each action choice and each update runs in its own <c>arena.Scope()</c>, so an
/// iteration allocates no managed memory.</para>
/// </remarks>
internal sealed class PendulumSac : IAgentTrainer
{
    /// <summary>Environment steps of a run with the default command line: 75 episodes. Seeds 1-3 reach the −250 bar
    /// after 7,000-7,200 steps, so the last 20 episodes all come well after it (at 12,000 steps seed 2 ended at −208, too close).</summary>
    public const int DefaultTotalSteps = 15_000;

    /// <summary>Mean return of the last 20 episodes that counts as solved (the issue's bar; a random policy scores about
    /// −1200).</summary>
    public const double SolvedReturn = -250;

    /// <summary>Pendulum's torque limit: the actor's tanh output is scaled by it (CleanRL's <c>action_scale</c>; the
    /// bias is 0).</summary>
    private const float ActionScale = PendulumVector.MaxTorque;

    /// <summary>The actor's log σ is squashed into [LogStdMin, LogStdMax], as CleanRL's <c>LOG_STD_MIN</c>/<c>MAX</c>.</summary>
    private const float LogStdMin = -5f, LogStdMax = 2f;

    private const int ActionSize = 1;

    private readonly AgentOptions _options;
    private readonly SacSettings _settings;
    private readonly PendulumVector _envs;
    private readonly SacNetworks _networks;
    private readonly IReadOnlyList<Tensor> _actorParameters, _qParameters, _q1Parameters, _q2Parameters;
    private readonly IReadOnlyList<Tensor> _q1TargetParameters, _q2TargetParameters;
    private readonly Adam _actorOptimizer, _qOptimizer, _alphaOptimizer;
    private readonly ReplayBuffer _buffer;
    private readonly Tensor _observation;       // [envs, 3]: the actor's input for one vector step
    private readonly float _targetEntropy;
    private float[] _observations, _nextObservations;
    private readonly float[] _realNextObservations, _actions, _rewards;
    private readonly bool[] _terminated, _truncated;
    private long _vectorSteps;
    private float _alpha;

    /// <summary>Builds the arena, the environments, the networks, the three Adams and the replay buffer for
    /// <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">An option or setting out of range, or fewer total steps than one iteration.</exception>
    public PendulumSac(AgentOptions options, SacSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _settings = settings ?? new SacSettings();
        options.Validate();
        _settings.Validate();
        int envs = options.Envs;
        Iterations = options.IterationsOf(_settings.StepsPerIteration, "iteration");
        Seed = options.Seed;
        Arena = new Arena(options.ArenaOptions());
        _envs = new PendulumVector(envs, options.Seed);
        _networks = new SacNetworks(Arena, PendulumVector.ObservationSize, ActionSize, _settings.Hidden);
        _actorParameters = _networks.Actor.Parameters();
        _q1Parameters = _networks.Qf1.Parameters();
        _q2Parameters = _networks.Qf2.Parameters();
        _q1TargetParameters = _networks.Qf1Target.Parameters();
        _q2TargetParameters = _networks.Qf2Target.Parameters();
        var qParameters = new List<Tensor>(_q1Parameters);
        qParameters.AddRange(_q2Parameters);
        _qParameters = qParameters;
        _actorOptimizer = new Adam(_actorParameters, (float)_settings.PolicyLearningRate);
        _qOptimizer = new Adam(_qParameters, (float)_settings.QLearningRate);
        _alphaOptimizer = new Adam([_networks.LogAlpha], (float)_settings.QLearningRate);
        _targetEntropy = -ActionSize; // −dim(A), as CleanRL's -torch.prod(torch.Tensor(action_space.shape))
        _alpha = MathF.Exp(_networks.LogAlpha.Item());
        int capacity = (int)Math.Min(_settings.BufferSize, (long)Iterations * _settings.StepsPerIteration * envs);
        _buffer = new ReplayBuffer(Arena, capacity, PendulumVector.ObservationSize, ActionSize, _settings.BatchSize);
        _observation = Arena.Zeros([envs, PendulumVector.ObservationSize]);
        _observations = new float[envs * PendulumVector.ObservationSize];
        _nextObservations = new float[_observations.Length];
        _realNextObservations = new float[_observations.Length];
        _actions = new float[envs * ActionSize];
        _rewards = new float[envs];
        _terminated = new bool[envs];
        _truncated = new bool[envs];
        Window = new ReturnWindow(20, SolvedReturn);
    }

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"SAC on Pendulum-v1, {_envs.Envs} env{(_envs.Envs == 1 ? "" : "s")}, actor and two Q networks " +
        $"{_settings.Hidden}-{_settings.Hidden} ReLU, batch {_settings.BatchSize}, {_settings.LearningStarts} random steps, " +
        $"Adam {_settings.PolicyLearningRate} (actor) and {_settings.QLearningRate} (Q, α), γ {_settings.Gamma}, τ {_settings.Tau}, " +
        $"auto-tuned α, {Iterations} iterations of {_settings.StepsPerIteration} steps, seed {Seed}");

    /// <inheritdoc />
    public string Environment => "Pendulum-v1";

    /// <summary>The run's seed.</summary>
    public ulong Seed { get; }

    /// <inheritdoc />
    public Arena Arena { get; }

    /// <inheritdoc />
    public int Iterations { get; }

    /// <inheritdoc />
    public long GlobalStep { get; private set; }

    /// <inheritdoc />
    public long TotalSteps => (long)Iterations * _settings.StepsPerIteration * _envs.Envs;

    /// <inheritdoc />
    public ReturnWindow Window { get; }

    /// <inheritdoc />
    public int ObservationSize => PendulumVector.ObservationSize;

    /// <summary>The actor: observations [n, 3] (cos θ, sin θ, θ̇) to [n, 2], column 0 the mean μ of the pre-tanh Normal
    /// and column 1 the unsquashed log σ. The deterministic torque is 2·tanh(μ); the sampled one is 2·tanh(μ + σ·ε) with
    /// log σ = −5 + 3.5·(tanh(column 1) + 1).</summary>
    public Module Policy => _networks.Actor;

    /// <summary>The current entropy coefficient α = exp(log α).</summary>
    public float Alpha => _alpha;

    /// <inheritdoc />
    /// <remarks>Names: <c>actor.0.weight</c> ... <c>actor.4.bias</c>, <c>qf1.*</c>, <c>qf2.*</c>,
    /// <c>qf1_target.*</c>, <c>qf2_target.*</c> and <c>log_alpha</c>.</remarks>
    public IReadOnlyList<NamedTensor> StateDict() => _networks.StateDict();

    /// <inheritdoc />
    public void Start() => _envs.Reset(_observations);

    /// <inheritdoc />
    /// <remarks>The copy starts learning halfway through its one iteration, so the critic and actor updates are compiled
    /// too, and keeps a replay buffer of one iteration.</remarks>
    public void WarmUp()
    {
        int steps = _settings.StepsPerIteration * _options.Envs;
        using var copy = new PendulumSac(_options with { TotalSteps = steps, Seed = _options.Seed + 1 },
            _settings with { LearningStarts = _settings.StepsPerIteration / 2, BufferSize = steps });
        copy.Start();
        copy.RunIteration(1);
    }

    /// <inheritdoc />
    public void RunIteration(int iteration)
    {
        for (int t = 0; t < _settings.StepsPerIteration; t++) Step();
    }

    /// <summary>One vector step of CleanRL's loop: act, step, store the transition, then learn once learning has started.</summary>
    private void Step()
    {
        long step = _vectorSteps++;
        int envs = _envs.Envs;
        using (Arena.Scope())
        using (Arena.NoGrad())
        {
            if (step < _settings.LearningStarts)
            {
                Arena.Uniform([envs, ActionSize], -ActionScale, ActionScale).CopyTo(_actions);
            }
            else
            {
                _observation.CopyFrom(_observations);
                Act(_observation).Action.CopyTo(_actions);
            }
        }
        _envs.Step(_actions, _nextObservations, _rewards, _terminated, _truncated);
        GlobalStep += envs;
        // The critic bootstraps from the observation before the auto-reset (CleanRL's real_next_obs).
        _nextObservations.CopyTo(_realNextObservations.AsSpan());
        ReadOnlySpan<float> finals = _envs.FinalObservations;
        foreach (FinishedEpisode episode in _envs.FinishedEpisodes)
        {
            int at = episode.Env * PendulumVector.ObservationSize;
            finals.Slice(at, PendulumVector.ObservationSize).CopyTo(_realNextObservations.AsSpan(at));
            Window.Add(episode.Return, GlobalStep);
        }
        _buffer.Add(_observations, _realNextObservations, _actions, _rewards, _terminated);
        (_observations, _nextObservations) = (_nextObservations, _observations);
        if (step > _settings.LearningStarts) Learn(step);
    }

    /// <summary>CleanRL's <c>actor.get_action</c>: a reparameterized draw u ~ N(μ, σ), the torque 2·tanh(u) and
    /// log π = Σ [log N(u; μ, σ) − log(2·(1 − tanh(u)²) + 1e-6)] over the action, as [n, 1].</summary>
    private (Tensor Action, Tensor LogProb) Act(Tensor observations)
    {
        Tensor output = _networks.Actor.Forward(observations);
        Tensor mean = output.Narrow(1, 0, ActionSize);
        Tensor logStd = output.Narrow(1, ActionSize, ActionSize).Tanh();
        logStd = LogStdMin + 0.5f * (LogStdMax - LogStdMin) * (logStd + 1f);
        var normal = new Normal(mean, logStd.Exp());
        Tensor u = normal.RSample();
        Tensor y = u.Tanh();
        Tensor logProb = normal.LogProb(u) - (ActionScale * (1f - y.Square()) + 1e-6f).Log();
        return (y * ActionScale, logProb.Sum(1, keepDim: true));
    }

    private static Tensor Q(Mlp q, Tensor observations, Tensor actions) => q.Forward(Functional.Cat([observations, actions], 1));

    /// <summary>One Q step on a fresh minibatch; on every PolicyFrequency-th step that many actor and α steps on the same
    /// minibatch; then the Polyak update of the targets on every TargetNetworkFrequency-th step.</summary>
    private void Learn(long step)
    {
        Tensor index = _buffer.Sample();
        _qOptimizer.ZeroGrad();
        using (Arena.Scope())
        {
            Tensor observations = _buffer.Observations.IndexSelect(0, index);
            Tensor actions = _buffer.Actions.IndexSelect(0, index);
            Tensor target;
            using (Arena.NoGrad())
            {
                Tensor nextObservations = _buffer.NextObservations.IndexSelect(0, index);
                (Tensor nextActions, Tensor nextLogProb) = Act(nextObservations);
                Tensor nextQ = Functional.Minimum(Q(_networks.Qf1Target, nextObservations, nextActions),
                    Q(_networks.Qf2Target, nextObservations, nextActions)) - _alpha * nextLogProb;
                Tensor notDone = 1f - _buffer.Dones.IndexSelect(0, index);
                target = _buffer.Rewards.IndexSelect(0, index) + notDone * _settings.Gamma * nextQ.Reshape(-1);
            }
            Tensor q1 = Q(_networks.Qf1, observations, actions).Reshape(-1);
            Tensor q2 = Q(_networks.Qf2, observations, actions).Reshape(-1);
            Tensor qLoss = Functional.MseLoss(q1, target) + Functional.MseLoss(q2, target);
            qLoss.Backward();
        }
        _qOptimizer.Step();

        if (step % _settings.PolicyFrequency == 0)
        {
            // Delayed, as TD3: compensates for the delay with PolicyFrequency updates in a row.
            for (int k = 0; k < _settings.PolicyFrequency; k++)
            {
                UpdateActor(index);
                UpdateAlpha(index);
            }
        }

        if (step % _settings.TargetNetworkFrequency == 0)
        {
            Functional.PolyakUpdate(_q1TargetParameters, _q1Parameters, _settings.Tau);
            Functional.PolyakUpdate(_q2TargetParameters, _q2Parameters, _settings.Tau);
        }
    }

    /// <summary>Actor loss mean(α·log π(ã|s) − min(Q1, Q2)(s, ã)) with ã reparameterized.</summary>
    /// <remarks>CleanRL lets this backward fill the Q networks' gradients too, which its next Q step discards with
    /// <c>zero_grad</c>; here the Q parameters stop requiring grad for the actor's backward instead, which skips their
    /// weight gradients and changes no result.</remarks>
    private void UpdateActor(Tensor index)
    {
        _actorOptimizer.ZeroGrad();
        SetRequiresGrad(_qParameters, false);
        try
        {
            using (Arena.Scope())
            {
                Tensor observations = _buffer.Observations.IndexSelect(0, index);
                (Tensor actions, Tensor logProb) = Act(observations);
                Tensor minQ = Functional.Minimum(Q(_networks.Qf1, observations, actions), Q(_networks.Qf2, observations, actions));
                Tensor loss = (_alpha * logProb - minQ).Mean();
                loss.Backward();
            }
        }
        finally
        {
            SetRequiresGrad(_qParameters, true);
        }
        _actorOptimizer.Step();
    }

    private static void SetRequiresGrad(IReadOnlyList<Tensor> parameters, bool requiresGrad)
    {
        for (int i = 0; i < parameters.Count; i++) parameters[i].SetRequiresGrad(requiresGrad);
    }

    /// <summary>α loss mean(−exp(log α)·(log π + target entropy)) with log π from a fresh draw of the updated actor.</summary>
    private void UpdateAlpha(Tensor index)
    {
        _alphaOptimizer.ZeroGrad();
        using (Arena.Scope())
        {
            Tensor logProb;
            using (Arena.NoGrad())
                logProb = Act(_buffer.Observations.IndexSelect(0, index)).LogProb;
            Tensor loss = (-_networks.LogAlpha.Exp() * (logProb + _targetEntropy)).Mean();
            loss.Backward();
        }
        _alphaOptimizer.Step();
        _alpha = MathF.Exp(_networks.LogAlpha.AsSpanUnsafely()[0]);
    }

    /// <inheritdoc />
    public void Dispose() => Arena.Dispose();

    /// <summary>What SAC learns, under PyTorch-style names: <c>actor</c> (observations-H-H-2 ReLU, PyTorch's default
    /// Linear init), <c>qf1</c>, <c>qf2</c> ((observation, action)-H-H-1 ReLU), their targets <c>qf1_target</c> and
    /// <c>qf2_target</c> (copies that never require grad) and <c>log_alpha</c> ([1], starting at 0).</summary>
    private sealed class SacNetworks : Module
    {
        public SacNetworks(Arena arena, int observationSize, int actionSize, int hidden)
        {
            // Made in CleanRL's order: actor, qf1, qf2, then the targets (loaded from qf1 and qf2), then log α.
            Actor = RegisterModule("actor", new Mlp(arena, [observationSize, hidden, hidden, 2 * actionSize], static () => new Relu()));
            Qf1 = RegisterModule("qf1", new Mlp(arena, [observationSize + actionSize, hidden, hidden, 1], static () => new Relu()));
            Qf2 = RegisterModule("qf2", new Mlp(arena, [observationSize + actionSize, hidden, hidden, 1], static () => new Relu()));
            Qf1Target = RegisterModule("qf1_target", Copy(arena, Qf1, observationSize + actionSize, hidden));
            Qf2Target = RegisterModule("qf2_target", Copy(arena, Qf2, observationSize + actionSize, hidden));
            LogAlpha = RegisterParameter("log_alpha", arena.Zeros([1], requiresGrad: true));
        }

        public Mlp Actor { get; }

        public Mlp Qf1 { get; }

        public Mlp Qf2 { get; }

        public Mlp Qf1Target { get; }

        public Mlp Qf2Target { get; }

        public Tensor LogAlpha { get; }

        public override Tensor Forward(Tensor input) => Actor.Forward(input);

        private static Mlp Copy(Arena arena, Mlp source, int inputs, int hidden)
        {
            var copy = new Mlp(arena, [inputs, hidden, hidden, 1], static () => new Relu());
            copy.RequiresGrad(false);
            IReadOnlyList<Tensor> to = copy.Parameters(), from = source.Parameters();
            for (int i = 0; i < to.Count; i++) to[i].CopyFrom(from[i]);
            return copy;
        }
    }
}
