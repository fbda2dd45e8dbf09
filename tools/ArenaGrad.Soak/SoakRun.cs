using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace ArenaGrad.Soak;

/// <summary>Settings of a soak run.</summary>
public sealed record SoakOptions
{
    /// <summary>Training steps in all (warm-up included).</summary>
    public long Steps { get; init; } = 1_000_000;

    /// <summary>Steps run before the baseline is taken: JIT tiering, the arena's first blocks, column growth.</summary>
    public long WarmupSteps { get; init; } = 10_000;

    /// <summary>Report lines printed after warm-up (the last one at the final step).</summary>
    public int Reports { get; init; } = 20;

    /// <summary>Rows of the fixed training batch.</summary>
    public int Batch { get; init; } = 32;

    /// <summary>Width of both hidden layers.</summary>
    public int Hidden { get; init; } = 32;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A count is out of range.</exception>
    public void Validate()
    {
        if (WarmupSteps < 1) throw new ArgumentException($"--warmup must be at least 1, but got {WarmupSteps}.");
        if (Steps <= WarmupSteps) throw new ArgumentException($"--steps ({Steps}) must exceed --warmup ({WarmupSteps}).");
        if (Reports < 1) throw new ArgumentException($"--reports must be at least 1, but got {Reports}.");
        if (Batch < 1 || Hidden < 1) throw new ArgumentException($"--batch and --hidden must be positive, but got {Batch} and {Hidden}.");
    }
}

/// <summary>What the process and the arena looked like at one point of the run.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="AllocatedBytes">Managed bytes allocated on the training thread since warm-up, counted over the steps only.</param>
/// <param name="Gen0">GC count, generation 0 (process).</param>
/// <param name="Gen1">GC count, generation 1.</param>
/// <param name="Gen2">GC count, generation 2.</param>
/// <param name="ReservedBytes">The arena's native bytes for values and gradients.</param>
/// <param name="BlockCount">The arena's native blocks.</param>
/// <param name="TensorCount">Live tensor slots between steps (the parameters and their gradients).</param>
/// <param name="TapeLength">Tape length between steps.</param>
/// <param name="StepTensorCount">Live tensor slots inside the step, after backward.</param>
/// <param name="StepTapeLength">Tape length inside the step, after backward.</param>
/// <param name="Loss">Loss of the last step.</param>
/// <param name="ManagedHeapBytes">GC heap size (<see cref="GC.GetTotalMemory(bool)"/>); reported, not checked.</param>
/// <param name="WorkingSetBytes">Process resident memory (<see cref="Environment.WorkingSet"/>); reported, not checked (the OS moves it).</param>
public readonly record struct SoakSnapshot(
    long Step, long AllocatedBytes, int Gen0, int Gen1, int Gen2, long ReservedBytes, int BlockCount,
    int TensorCount, int TapeLength, int StepTensorCount, int StepTapeLength, float Loss, long ManagedHeapBytes, long WorkingSetBytes);

/// <summary>The outcome: baseline after warm-up, the last snapshot, throughput, and what grew.</summary>
/// <param name="Baseline">Snapshot at the end of warm-up.</param>
/// <param name="Final">Snapshot after the last step.</param>
/// <param name="StepsPerSecond">Steps per second after warm-up.</param>
/// <param name="Growth">One line per figure that grew after warm-up, at the report where it did; empty when flat.</param>
public sealed record SoakResult(SoakSnapshot Baseline, SoakSnapshot Final, double StepsPerSecond, IReadOnlyList<string> Growth)
{
    /// <summary>Nothing grew after warm-up.</summary>
    public bool Flat => Growth.Count == 0;
}

/// <summary>The soak: trains an MLP 2-h-h-2 (tanh) with cross-entropy and SGD on a fixed batch, one arena scope per step,
/// and compares every report with the baseline taken after warm-up.</summary>
public static class SoakRun
{
    /// <summary>Runs <paramref name="options"/>, writing report lines to <paramref name="output"/> (none when null).</summary>
    public static SoakResult Run(SoakOptions options, TextWriter? output)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        var model = new Model(arena, options.Hidden);
        Tensor inputs = arena.Randn([options.Batch, 2]);
        var targets = new int[options.Batch];
        ReadOnlySpan<float> x = inputs.AsSpanUnsafely();
        for (int i = 0; i < targets.Length; i++) targets[i] = x[2 * i] * x[2 * i + 1] > 0 ? 1 : 0; // XOR of the signs

        output?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ArenaGrad soak: MLP 2-{options.Hidden}-{options.Hidden}-2, batch {options.Batch}, {options.Steps:N0} steps ({options.WarmupSteps:N0} warm-up), {Environment.ProcessorCount} CPUs, .NET {Environment.Version}"));

        var step = new StepState();
        RunSteps(arena, model, inputs, targets, options.WarmupSteps, ref step);
        SoakSnapshot baseline = Snapshot(arena, options.WarmupSteps, 0, step);
        output?.WriteLine(Format(baseline, double.NaN, "baseline"));

        var growth = new List<string>();
        long done = options.WarmupSteps;
        long measuredAllocated = 0;
        var total = Stopwatch.StartNew();
        SoakSnapshot last = baseline;
        for (int report = 1; report <= options.Reports; report++)
        {
            long target = options.WarmupSteps + (options.Steps - options.WarmupSteps) * report / options.Reports;
            long before = GC.GetAllocatedBytesForCurrentThread();
            long started = Stopwatch.GetTimestamp();
            RunSteps(arena, model, inputs, targets, target - done, ref step);
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            measuredAllocated += GC.GetAllocatedBytesForCurrentThread() - before; // the printing below is not counted
            double rate = (target - done) / seconds;
            done = target;
            last = Snapshot(arena, done, measuredAllocated, step);
            output?.WriteLine(Format(last, rate, ""));
            growth.AddRange(GrowthBetween(baseline, last));
        }
        double stepsPerSecond = (options.Steps - options.WarmupSteps) / total.Elapsed.TotalSeconds;
        var result = new SoakResult(baseline, last, stepsPerSecond, growth);
        output?.WriteLine(result.Flat
            ? string.Create(CultureInfo.InvariantCulture, $"flat: nothing grew after warm-up; {stepsPerSecond:N0} steps/s")
            : "GROWTH:\n  " + string.Join("\n  ", growth));
        return result;
    }

    /// <summary>Figures seen inside the last step.</summary>
    private struct StepState
    {
        public int TensorCount, TapeLength;
        public float Loss;
    }

    private static void RunSteps(Arena arena, Model model, Tensor inputs, int[] targets, long count, ref StepState state)
    {
        for (long i = 0; i < count; i++)
        {
            using (arena.Scope())
            {
                Tensor loss = Functional.CrossEntropy(model.Forward(inputs), targets);
                loss.Backward();
                state.TensorCount = arena.TensorCount;
                state.TapeLength = arena.TapeLength;
                state.Loss = loss.Item();
                model.Step(0.05f);
            }
        }
    }

    private static SoakSnapshot Snapshot(Arena arena, long step, long allocated, in StepState state) =>
        new(step, allocated, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), arena.ReservedBytes,
            arena.BlockCount, arena.TensorCount, arena.TapeLength, state.TensorCount, state.TapeLength, state.Loss,
            GC.GetTotalMemory(forceFullCollection: false), Environment.WorkingSet);

    /// <summary>One line per figure of <paramref name="now"/> above <paramref name="baseline"/> (allocated bytes: above 0).</summary>
    public static List<string> GrowthBetween(SoakSnapshot baseline, SoakSnapshot now)
    {
        var growth = new List<string>();
        void Check(string name, long before, long after)
        {
            if (after > before) growth.Add(string.Create(CultureInfo.InvariantCulture, $"step {now.Step:N0}: {name} grew from {before:N0} to {after:N0}"));
        }
        Check("managed bytes allocated", 0, now.AllocatedBytes);
        Check("gen-0 GCs", baseline.Gen0, now.Gen0);
        Check("gen-1 GCs", baseline.Gen1, now.Gen1);
        Check("gen-2 GCs", baseline.Gen2, now.Gen2);
        Check("reserved bytes", baseline.ReservedBytes, now.ReservedBytes);
        Check("blocks", baseline.BlockCount, now.BlockCount);
        Check("tensor count", baseline.TensorCount, now.TensorCount);
        Check("tape length", baseline.TapeLength, now.TapeLength);
        Check("tensor count inside a step", baseline.StepTensorCount, now.StepTensorCount);
        Check("tape length inside a step", baseline.StepTapeLength, now.StepTapeLength);
        return growth;
    }

    private static string Format(SoakSnapshot s, double rate, string label) => string.Create(CultureInfo.InvariantCulture,
        $"step {s.Step,12:N0}  {(double.IsNaN(rate) ? label : rate.ToString("N0", CultureInfo.InvariantCulture) + " steps/s"),14}  " +
        $"alloc {s.AllocatedBytes:N0} B  GCs {s.Gen0}/{s.Gen1}/{s.Gen2}  reserved {s.ReservedBytes:N0} B  blocks {s.BlockCount}  " +
        $"tensors {s.TensorCount} (in step {s.StepTensorCount})  tape {s.TapeLength} (in step {s.StepTapeLength})  " +
        $"heap {s.ManagedHeapBytes / 1024.0:N0} KiB  RSS {s.WorkingSetBytes / 1048576.0:N1} MiB  loss {s.Loss:F4}");

    /// <summary>MLP 2-h-h-2 with tanh; parameters made outside any scope, PyTorch's uniform init.</summary>
    private sealed class Model
    {
        private readonly Tensor[] _parameters;

        public Model(Arena arena, int hidden)
        {
            _parameters = [.. Layer(arena, 2, hidden), .. Layer(arena, hidden, hidden), .. Layer(arena, hidden, 2)];
        }

        private static Tensor[] Layer(Arena arena, int inFeatures, int outFeatures)
        {
            float bound = 1f / MathF.Sqrt(inFeatures);
            return [arena.Uniform([outFeatures, inFeatures], -bound, bound, requiresGrad: true),
                    arena.Uniform([outFeatures], -bound, bound, requiresGrad: true)];
        }

        public Tensor Forward(Tensor x)
        {
            Tensor h1 = Functional.Linear(x, _parameters[0], _parameters[1]).Tanh();
            Tensor h2 = Functional.Linear(h1, _parameters[2], _parameters[3]).Tanh();
            return Functional.Linear(h2, _parameters[4], _parameters[5]);
        }

        /// <summary>SGD, unrecorded; gradients back to None.</summary>
        public void Step(float learningRate)
        {
            Arena arena = _parameters[0].Arena;
            using (arena.NoGrad())
            {
                foreach (Tensor p in _parameters)
                {
                    p.AddInPlace(p.Grad!.Value, -learningRate);
                    p.ZeroGrad();
                }
            }
        }
    }
}
