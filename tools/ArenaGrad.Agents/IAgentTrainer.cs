using System;
using System.Collections.Generic;
using ArenaGrad.Nn;

namespace ArenaGrad.Agents;

/// <summary>An algorithm on an environment, driven iteration by iteration by <see cref="AgentRun"/>, which times the
/// iterations, shows progress, and writes the curve, the policy and the summary.</summary>
internal interface IAgentTrainer : IDisposable
{
    /// <summary>One line for the header: algorithm, environment, networks and settings.</summary>
    string Description { get; }

    /// <summary>The environment's gym id, for the JSON summary.</summary>
    string Environment { get; }

    /// <summary>Iterations the run will take.</summary>
    int Iterations { get; }

    /// <summary>Environment steps taken so far, over all environments.</summary>
    long GlobalStep { get; }

    /// <summary>Environment steps the whole run takes (<see cref="Iterations"/> × steps per iteration).</summary>
    long TotalSteps { get; }

    /// <summary>The returns of the last finished episodes and the solved step.</summary>
    ReturnWindow Window { get; }

    /// <summary>Floats per observation (the exported policy's input width).</summary>
    int ObservationSize { get; }

    /// <summary>Observations to the action's logits or mean: what the ONNX file computes.</summary>
    Module Policy { get; }

    /// <summary>Everything learned, under PyTorch's names, for the safetensors file.</summary>
    IReadOnlyList<NamedTensor> StateDict();

    /// <summary>The arena holding the networks and the rollout storage.</summary>
    Arena Arena { get; }

    /// <summary>Runs one iteration of a throwaway copy (its own arena and environments, so this run's state and bits are
    /// untouched), so that the JIT has compiled every method of an iteration before the clock starts: the compile is
    /// start-up, as Python's imports are for the PyTorch twin.</summary>
    void WarmUp();

    /// <summary>Resets the environments: the start of the timed run.</summary>
    void Start();

    /// <summary>Runs iteration <paramref name="iteration"/> (1-based): its environment steps and its updates.</summary>
    void RunIteration(int iteration);
}
