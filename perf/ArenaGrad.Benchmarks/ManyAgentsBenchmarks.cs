using System;
using System.Collections.Generic;
using System.IO;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace ArenaGrad.Benchmarks;

/// <summary>Issue 19's "many agents": one shared policy, <c>Nn.Mlp</c> 8→64→64→4 with tanh (seed 42), frozen, decides
/// an action (the argmax of its four logits) for each of 1,000 agents, whose observations are the rows of a fixed
/// [1000, 8] random tensor. ArenaGrad decides in one batched call and per agent on pooled arenas that borrow the frozen
/// weights; ONNX Runtime 1.31.1 (one intra-op thread, IO binding over pinned arrays) does the same two ways.</summary>
/// <remarks>
/// <para>Every benchmark decides for all 1,000 agents per invocation and reports the time per agent
/// (<c>OperationsPerInvoke = 1000</c>), so the batched and per-agent rows read on one scale: a batched row times
/// 1,000 is the whole batch's time. Allocated bytes are per agent as well (0 B per invocation is 0 B per agent).</para>
/// <para>Each benchmark writes the 1,000 actions into a preallocated <c>int[]</c>, so no work is dead. Setup runs every
/// path once and throws unless all pick the same actions and their logits agree to float tolerance.</para>
/// <para>Per agent, ArenaGrad follows the README's pattern for per-agent work on shared weights
/// (<see cref="PerAgentPooled"/>: rent an arena, borrow the parameters inside a scope, decide, return the arena, per
/// decision). A pooled arena cannot keep borrowed views across rentals (returning it resets it, which releases them),
/// so "borrowed once" is only possible by keeping one arena rented: <see cref="PerAgentBorrowedOnce"/> rents one arena
/// and borrows the weights once, then makes each decision in a scope of its own. The difference between the two is the
/// cost of renting, borrowing six views and returning.</para>
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class ManyAgentsBenchmarks
{
    /// <summary>Agents deciding per invocation.</summary>
    public const int Agents = 1000;

    private const int ObservationSize = 8, ActionCount = 4;

    private Arena _shared = null!;
    private Mlp _policy = null!;
    private IReadOnlyList<Tensor> _parameters = null!;
    private ArenaPool _pool = null!;

    // The batched path's arena: rented once, weights borrowed once (outside any scope), observations made there.
    private Arena _batchArena = null!;
    private Tensor _batchObservations;

    // PerAgentBorrowedOnce's arena: rented once, weights borrowed once.
    private Arena _agentArena = null!;

    // The observations as floats: what a game hands each agent, row by row (the same values as _batchObservations).
    private readonly float[] _observations = new float[Agents * ObservationSize];
    private readonly int[] _actions = new int[Agents];

    private string _modelPath = null!;
    private SessionOptions _options = null!;
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private OrtValue _batchInput = null!, _batchOutput = null!, _agentInput = null!, _agentOutput = null!;
    private OrtIoBinding _batchBinding = null!, _agentBinding = null!;
    private readonly float[] _batchInputData = new float[Agents * ObservationSize];
    private readonly float[] _batchOutputData = new float[Agents * ActionCount];
    private readonly float[] _agentInputData = new float[ObservationSize];
    private readonly float[] _agentOutputData = new float[ActionCount];

    /// <summary>Builds and freezes the policy, makes the observations, the pool and the borrowing arenas, exports the
    /// policy with <see cref="Onnx.Save"/>, opens the ONNX Runtime session and binds its values; then runs every path and
    /// throws unless all four pick the same 1,000 actions and their logits agree to float tolerance.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _shared = new Arena(new ArenaOptions { Seed = 42 });
        _policy = new Mlp(_shared, [ObservationSize, 64, 64, ActionCount]);
        _policy.Eval();
        _policy.RequiresGrad(false);
        _parameters = _policy.Parameters();
        Tensor observations = _shared.Randn([Agents, ObservationSize]);
        observations.CopyTo(_observations);
        _modelPath = Path.Combine(Path.GetTempPath(), $"arenagrad-many-agents-{Environment.ProcessId}.onnx");
        Onnx.Save(_policy, observations, _modelPath); // dynamic batch axis: one session serves batch 1000 and batch 1
        _shared.Freeze();

        _pool = new ArenaPool();
        _batchArena = _pool.Rent();
        _batchArena.BorrowAll(_parameters); // outside any scope: the views live as long as the rental
        _batchObservations = _batchArena.FromData(_observations, [Agents, ObservationSize]);
        _agentArena = _pool.Rent();
        _agentArena.BorrowAll(_parameters);

        _options = OnnxRuntimeSetup.SingleThreadedOptions();
        _session = new InferenceSession(_modelPath, _options);
        _runOptions = new RunOptions();
        string inputName = _session.InputNames[0], outputName = _session.OutputNames[0];
        _observations.CopyTo(_batchInputData, 0);
        _batchInput = OrtValue.CreateTensorValueFromMemory(_batchInputData, [Agents, ObservationSize]);
        _batchOutput = OrtValue.CreateTensorValueFromMemory(_batchOutputData, [Agents, ActionCount]);
        _batchBinding = _session.CreateIoBinding();
        _batchBinding.BindInput(inputName, _batchInput);
        _batchBinding.BindOutput(outputName, _batchOutput);
        _agentInput = OrtValue.CreateTensorValueFromMemory(_agentInputData, [1, ObservationSize]);
        _agentOutput = OrtValue.CreateTensorValueFromMemory(_agentOutputData, [1, ActionCount]);
        _agentBinding = _session.CreateIoBinding();
        _agentBinding.BindInput(inputName, _agentInput);
        _agentBinding.BindOutput(outputName, _agentOutput);

        CheckAllPathsAgree();
    }

    /// <summary>Disposes the session, its values and the arenas, and deletes the temporary file.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _agentBinding.Dispose();
        _batchBinding.Dispose();
        _agentInput.Dispose();
        _agentOutput.Dispose();
        _batchInput.Dispose();
        _batchOutput.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
        File.Delete(_modelPath);
        _pool.Return(_agentArena);
        _pool.Return(_batchArena);
        _pool.Dispose();
        _shared.Dispose();
    }

    /// <summary>One forward of [1000, 8] → [1000, 4] logits on the borrowed weights, the argmax per agent, and the
    /// actions read into the preallocated array, in a scope and no-grad. Time per agent (the batch's time / 1000).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Agents)]
    public int Batched()
    {
        using (_batchArena.Scope())
        using (_batchArena.NoGrad())
            _policy.Forward(_batchObservations).ArgMax(1).CopyTo(_actions);
        return _actions[Agents - 1];
    }

    /// <summary>1,000 decisions of batch 1, as the README's pooled, shared-weights pattern makes them: per decision, rent
    /// an arena, and in a scope and no-grad borrow the six parameters, make the agent's [1, 8] observation from its row,
    /// run the policy, take the argmax and read it out; then return the arena (reset). Time per agent.</summary>
    [Benchmark(OperationsPerInvoke = Agents)]
    public int PerAgentPooled()
    {
        for (int i = 0; i < Agents; i++)
        {
            Arena arena = _pool.Rent();
            using (arena.Scope())
            using (arena.NoGrad())
            {
                arena.BorrowAll(_parameters);
                Tensor observation = arena.FromData(_observations.AsSpan(i * ObservationSize, ObservationSize), [1, ObservationSize]);
                _policy.Forward(observation).ArgMax(1).CopyTo(_actions.AsSpan(i, 1));
            }
            _pool.Return(arena);
        }
        return _actions[Agents - 1];
    }

    /// <summary>1,000 decisions of batch 1 on one arena rented once that borrowed the weights once: per decision, a scope
    /// and no-grad, the agent's [1, 8] observation, the policy, the argmax read out. Time per agent.</summary>
    [Benchmark(OperationsPerInvoke = Agents)]
    public int PerAgentBorrowedOnce()
    {
        Arena arena = _agentArena;
        for (int i = 0; i < Agents; i++)
        {
            using (arena.Scope())
            using (arena.NoGrad())
            {
                Tensor observation = arena.FromData(_observations.AsSpan(i * ObservationSize, ObservationSize), [1, ObservationSize]);
                _policy.Forward(observation).ArgMax(1).CopyTo(_actions.AsSpan(i, 1));
            }
        }
        return _actions[Agents - 1];
    }

    /// <summary>ONNX Runtime: one run of the [1000, 8] batch with input and output bound once over pinned arrays, then the
    /// argmax of each agent's four logits in C#. Time per agent.</summary>
    [Benchmark(OperationsPerInvoke = Agents)]
    public int OrtBatchedIoBinding()
    {
        _session.RunWithBinding(_runOptions, _batchBinding);
        ReadOnlySpan<float> logits = _batchOutputData;
        for (int i = 0; i < Agents; i++) _actions[i] = ArgMax(logits.Slice(i * ActionCount, ActionCount));
        return _actions[Agents - 1];
    }

    /// <summary>ONNX Runtime per agent: 1,000 runs of batch 1 with IO binding, each agent's row copied into the bound
    /// pinned input first, and the argmax of the four logits in C#. Time per agent.</summary>
    [Benchmark(OperationsPerInvoke = Agents)]
    public int OrtPerAgentIoBinding()
    {
        for (int i = 0; i < Agents; i++)
        {
            _observations.AsSpan(i * ObservationSize, ObservationSize).CopyTo(_agentInputData);
            _session.RunWithBinding(_runOptions, _agentBinding);
            _actions[i] = ArgMax(_agentOutputData);
        }
        return _actions[Agents - 1];
    }

    /// <summary>The index of the first largest value, as <see cref="Tensor.ArgMax(int, bool)"/> picks it.</summary>
    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private void CheckAllPathsAgree()
    {
        // Reference logits and actions: ArenaGrad's batched forward.
        var expectedLogits = new float[Agents * ActionCount];
        using (_batchArena.Scope())
        using (_batchArena.NoGrad())
            _policy.Forward(_batchObservations).CopyTo(expectedLogits);
        var expected = new int[Agents];
        for (int i = 0; i < Agents; i++) expected[i] = ArgMax(expectedLogits.AsSpan(i * ActionCount, ActionCount));

        Run(Batched, "Batched");
        Run(PerAgentPooled, "PerAgentPooled");
        Run(PerAgentBorrowedOnce, "PerAgentBorrowedOnce");
        Run(OrtBatchedIoBinding, "OrtBatchedIoBinding");
        CheckClose(_batchOutputData, expectedLogits, "ONNX Runtime's batched logits");
        Run(OrtPerAgentIoBinding, "OrtPerAgentIoBinding");

        // Per-agent logits, both engines, against the batched ones.
        var agentLogits = new float[ActionCount];
        for (int i = 0; i < Agents; i++)
        {
            ReadOnlySpan<float> reference = expectedLogits.AsSpan(i * ActionCount, ActionCount);
            using (_agentArena.Scope())
            using (_agentArena.NoGrad())
                _policy.Forward(_agentArena.FromData(_observations.AsSpan(i * ObservationSize, ObservationSize), [1, ObservationSize])).CopyTo(agentLogits);
            CheckClose(agentLogits, reference, $"ArenaGrad's batch-1 logits of agent {i}");
            _observations.AsSpan(i * ObservationSize, ObservationSize).CopyTo(_agentInputData);
            _session.RunWithBinding(_runOptions, _agentBinding);
            CheckClose(_agentOutputData, reference, $"ONNX Runtime's batch-1 logits of agent {i}");
        }

        void Run(Func<int> path, string name)
        {
            Array.Fill(_actions, -1);
            path();
            for (int i = 0; i < Agents; i++)
                if (_actions[i] != expected[i])
                    throw new InvalidOperationException(
                        $"{name} picks action {_actions[i]} for agent {i}, ArenaGrad's batched logits pick {expected[i]}: the paths disagree.");
        }
    }

    private static void CheckClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(actual[i] - expected[i]) > 1e-5f + 1e-5f * Math.Abs(expected[i]))
                throw new InvalidOperationException(
                    $"{what}: logit {i} is {actual[i]}, ArenaGrad's batched forward gives {expected[i]}.");
    }
}
