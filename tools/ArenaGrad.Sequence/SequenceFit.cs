using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using ArenaGrad.Optim;
using ArenaGrad.Tools;
using Spectre.Console;

namespace ArenaGrad.Sequence;

/// <summary>
/// Trains a GRU to predict the Lorenz system one step ahead with truncated backpropagation through time, then lets it
/// run free from a test state it has never seen.
/// </summary>
/// <remarks>
/// <para>Training: <see cref="SequenceOptions.Streams"/> streams walk their own stretch of the training trajectory,
/// <see cref="SequenceOptions.Chunk"/> samples per step. Each step runs the chunk through the GRU from the state the
/// previous chunk ended in, takes the mean squared error of the predicted changes, back-propagates through the chunk
/// only, and keeps the final state (a copy, so the next chunk's graph starts there without reaching back: truncated
/// BPTT). Weights, optimizer state, the chunk buffers and the carried state live outside any scope; the step's graph
/// lives in one <c>arena.Scope()</c>, so a step allocates no managed memory and the arena does not grow.</para>
/// <para>Free run: the GRU reads 100 true test states (teacher forcing) to build its state, then feeds back its own
/// predictions one step per call, as a game would call it once per frame.</para>
/// </remarks>
internal static class SequenceFit
{
    /// <summary>True states the GRU reads before it runs free.</summary>
    public const int WarmUp = 100;

    /// <summary>Test states used for the one-step (teacher-forced) error.</summary>
    public const int OneStepSamples = 2_000;

    /// <summary>Normalized error (RMS over the three standardized coordinates) up to which a free run counts as valid.</summary>
    public const double ValidThreshold = 0.4;

    /// <summary>Trains as <paramref name="options"/> says, reports on <paramref name="console"/> and writes the PNGs.</summary>
    public static SequenceResult Run(SequenceOptions options, IAnsiConsole console)
    {
        options.Validate();
        int testSamples = Math.Max(OneStepSamples, WarmUp + options.FreeRun) + 1;
        LorenzData data = LorenzData.Make(options, testSamples);
        using var arena = new Arena(new ArenaOptions { Seed = options.Seed });
        var model = new SequenceModel(arena, options.Hidden, options.Layers);
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        var schedule = new CosineAnnealingLR(optimizer, options.Steps);

        console.MarkupLine("[bold]ArenaGrad.Sequence[/]: " + Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"GRU(3, {options.Hidden}, num_layers={options.Layers}) + Linear({options.Hidden}, 3) learns the Lorenz system " +
            $"(σ 10, ρ 28, β 8/3, dt {options.Dt}) one step ahead: {options.Streams} streams × {options.Chunk}-step BPTT chunks, " +
            $"Adam lr {options.LearningRate} (cosine), {options.Steps} steps, seed {options.Seed}")));

        var trainer = new Trainer(arena, model, optimizer, schedule, data, options);
        var losses = new float[options.Steps];
        LoopStats stats = StepProgress.Run(console, "training", options.Steps, "steps", progress => trainer.Run(losses, progress));
        long reservedBytes = arena.ReservedBytes;

        (double oneStep, double persistence) = OneStepErrors(arena, model, data);
        var runner = new FreeRunner(arena, model, data, options);
        (float[] truth, float[] predicted, double bytesPerFreeStep) = runner.Run();
        int valid = ValidSteps(truth, predicted);
        double lyapunov = valid * options.Dt * Lorenz.LyapunovExponent;

        Directory.CreateDirectory(options.OutputDirectory);
        string trajectory = Path.Combine(options.OutputDirectory, "sequence_trajectory.png");
        SequencePlots.Trajectory(trajectory, truth, predicted, options, valid);
        string lossCurve = Path.Combine(options.OutputDirectory, "sequence_loss.png");
        SequencePlots.Loss(lossCurve, losses);

        var result = new SequenceResult(losses, oneStep, persistence, valid, lyapunov, truth, predicted,
            stats.StepsPerSecond, stats.MeasuredSteps, stats.ManagedBytesPerStep, bytesPerFreeStep, stats.GcCollections,
            reservedBytes, [trajectory, lossCurve]);
        console.Write(Summary(result, options));
        if (result.ExitCode != 0) console.MarkupLine("[red]Training diverged (the loss is not finite): try a smaller --lr.[/]");
        return result;
    }

    /// <summary>Root-mean-square one-step error on the test stretch (standardized units), teacher-forced, and the same for
    /// "the next state is this state" (persistence), the baseline any model must beat.</summary>
    private static (double Model, double Persistence) OneStepErrors(Arena arena, SequenceModel model, LorenzData data)
    {
        float[] test = data.Test;
        int n = OneStepSamples;
        var changes = new float[n * 3];
        using (arena.Scope())
        using (arena.NoGrad())
        {
            Tensor states = arena.FromData(test.AsSpan(0, n * 3), [n, 1, 3]);
            Tensor h0 = arena.Zeros([model.Gru.NumLayers, 1, model.Gru.HiddenSize]);
            model.Changes(states, h0, out _).CopyTo(changes);
        }
        double squares = 0, baseline = 0;
        int counted = 0;
        for (int i = WarmUp; i < n; i++) // the first steps lack a hidden state: skip them as the free run does
            for (int c = 0; c < 3; c++)
            {
                double next = test[3 * (i + 1) + c], now = test[3 * i + c];
                double predicted = now + changes[3 * i + c] * data.DeltaScale[c];
                squares += (predicted - next) * (predicted - next);
                baseline += (now - next) * (now - next);
                counted++;
            }
        return (Math.Sqrt(squares / counted), Math.Sqrt(baseline / counted));
    }

    /// <summary>Steps until the free run's RMS error over the three coordinates first exceeds <see cref="ValidThreshold"/>.</summary>
    public static int ValidSteps(ReadOnlySpan<float> truth, ReadOnlySpan<float> predicted)
    {
        for (int t = 0; t < truth.Length / 3; t++)
        {
            double squares = 0;
            for (int c = 0; c < 3; c++) squares += Math.Pow(predicted[3 * t + c] - truth[3 * t + c], 2);
            if (!(Math.Sqrt(squares / 3) <= ValidThreshold)) return t;
        }
        return truth.Length / 3;
    }

    private static Rows Summary(SequenceResult result, SequenceOptions options)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var fit = new Table().Border(TableBorder.Rounded).Title("[bold]prediction on an unseen stretch of the attractor[/]");
        fit.AddColumn("measure");
        fit.AddColumn(new TableColumn("value").RightAligned());
        void Fit(string name, string value) => fit.AddRow(Markup.Escape(name), Markup.Escape(value));
        Fit("loss, first / last step", $"{StepProgress.FormatLoss(result.Losses[0])} / {StepProgress.FormatLoss(result.Losses[^1])}");
        Fit("one-step RMS error (standardized units)", result.OneStepError.ToString("0.00000", c));
        Fit("  persistence baseline (next = this)", result.PersistenceError.ToString("0.00000", c));
        Fit("  GRU error / baseline", (result.OneStepError / result.PersistenceError).ToString("0.0000", c));
        Fit($"free run valid for (RMS error ≤ {ValidThreshold})", string.Create(c,
            $"{result.ValidSteps} of {options.FreeRun} steps = {result.ValidSteps * options.Dt:0.00} time units = {result.ValidLyapunovTimes:0.00} Lyapunov times"));

        var run = new Table().Border(TableBorder.Rounded).Title("[bold]run[/]");
        run.AddColumn("measure");
        run.AddColumn(new TableColumn("value").RightAligned());
        void Run(string name, string value) => run.AddRow(Markup.Escape(name), Markup.Escape(value));
        Run("training steps per second", result.StepsPerSecond.ToString("N1", c));
        Run("  samples per second (streams × chunk)", (result.StepsPerSecond * options.Streams * options.Chunk).ToString("N0", c));
        Run($"managed bytes per training step (last {result.MeasuredSteps})", result.ManagedBytesPerStep.ToString("0.##", c));
        Run("managed bytes per free-run step", result.ManagedBytesPerFreeStep.ToString("0.##", c));
        Run("GC collections during training", result.GcCollections.ToString(c));
        Run("arena reserved bytes", result.ReservedBytes.ToString("N0", c));
        foreach (string file in result.Files) Run("wrote", file);
        return new Rows(fit, run);
    }

    private readonly record struct LoopStats(double StepsPerSecond, int MeasuredSteps, double ManagedBytesPerStep, int GcCollections);

    /// <summary>The training loop and its buffers, held so the step itself captures nothing.</summary>
    private sealed class Trainer
    {
        private readonly Arena _arena;
        private readonly SequenceModel _model;
        private readonly Adam _optimizer;
        private readonly CosineAnnealingLR _schedule;
        private readonly LorenzData _data;
        private readonly int _streams, _chunk, _segment;
        private readonly int[] _positions;
        private readonly float[] _inputs, _targets;
        private readonly Tensor _input, _target, _state;

        public Trainer(Arena arena, SequenceModel model, Adam optimizer, CosineAnnealingLR schedule, LorenzData data, SequenceOptions options)
        {
            (_arena, _model, _optimizer, _schedule, _data) = (arena, model, optimizer, schedule, data);
            (_streams, _chunk) = (options.Streams, options.Chunk);
            _segment = data.Train.Length / 3 / _streams;
            _positions = new int[_streams];
            for (int s = 0; s < _streams; s++) _positions[s] = s * _segment;
            _inputs = new float[_chunk * _streams * 3];
            _targets = new float[_chunk * _streams * 3];
            _input = arena.Zeros([_chunk, _streams, 3]);
            _target = arena.Zeros([_chunk, _streams, 3]);
            _state = arena.Zeros([options.Layers, _streams, options.Hidden]);
        }

        public LoopStats Run(float[] losses, StepProgress progress)
        {
            int steps = losses.Length;
            int warmUp = steps < 20 ? steps / 2 : Math.Min(50, steps / 5);
            var meter = new StepMeter(warmUp);
            int reported = 0;
            long reportedTime = Stopwatch.GetTimestamp();
            int collections = GC.CollectionCount(0);
            for (int step = 0; step < steps; step++)
            {
                meter.Begin();
                float loss = Step();
                long after = meter.End(step);
                losses[step] = loss;
                int done = step + 1;
                if (progress.IsDue(done))
                {
                    double seconds = Stopwatch.GetElapsedTime(reportedTime, after).TotalSeconds;
                    progress.Report(done, loss, (done - reported) / Math.Max(seconds, 1e-9));
                    reported = done;
                    reportedTime = Stopwatch.GetTimestamp();
                }
            }
            collections = GC.CollectionCount(0) - collections;
            (double stepsPerSecond, double bytesPerStep) = meter.Rates(steps);
            return new LoopStats(stepsPerSecond, steps - warmUp, bytesPerStep, collections);
        }

        /// <summary>One chunk per stream: forward from the carried state, MSE, backward, Adam; returns the loss.</summary>
        private float Step()
        {
            FillChunk();
            _optimizer.ZeroGrad();
            float value;
            using (_arena.Scope())
            {
                Tensor changes = _model.Changes(_input, _state, out Tensor last);
                Tensor loss = Functional.MseLoss(changes, _target);
                loss.Backward();
                value = loss.Item();
                using (_arena.NoGrad()) _state.CopyFrom(last); // carried to the next chunk, without its graph
            }
            _optimizer.Step();
            _schedule.Step();
            return value;
        }

        /// <summary>Writes every stream's next chunk (inputs, and the scaled changes to predict) into the buffers; a stream
        /// at the end of its stretch starts it again with a zero state.</summary>
        private void FillChunk()
        {
            float[] train = _data.Train;
            for (int s = 0; s < _streams; s++)
            {
                if (_positions[s] + _chunk + 1 > (s + 1) * _segment)
                {
                    _positions[s] = s * _segment;
                    ZeroState(s);
                }
                int p = _positions[s];
                for (int t = 0; t < _chunk; t++)
                    for (int c = 0; c < 3; c++)
                    {
                        int at = (t * _streams + s) * 3 + c;
                        float now = train[3 * (p + t) + c], next = train[3 * (p + t + 1) + c];
                        _inputs[at] = now;
                        _targets[at] = (next - now) / _data.DeltaScale[c];
                    }
                _positions[s] = p + _chunk;
            }
            _input.CopyFrom(_inputs);
            _target.CopyFrom(_targets);
        }

        private void ZeroState(int stream)
        {
            Span<float> state = _state.AsSpanUnsafely();
            int layers = _state.Shape[0], hidden = _state.Shape[2];
            for (int l = 0; l < layers; l++) state.Slice((l * _streams + stream) * hidden, hidden).Clear();
        }
    }

    /// <summary>The trained GRU, one step per call with <see cref="ArenaGrad.Nn.GRU.Step"/>, its state carried in one
    /// tensor made once: the per-frame use.</summary>
    private sealed class FreeRunner(Arena arena, SequenceModel model, LorenzData data, SequenceOptions options)
    {
        private readonly Tensor _state = arena.Zeros([options.Layers, 1, options.Hidden]);
        private readonly Tensor _input = arena.Zeros([1, 3]);
        private readonly float[] _now = new float[3], _change = new float[3];

        public (float[] Truth, float[] Predicted, double BytesPerStep) Run()
        {
            float[] test = data.Test;
            for (int t = 0; t < WarmUp; t++) Advance(test.AsSpan(3 * t, 3));
            var truth = new float[options.FreeRun * 3];
            var predicted = new float[options.FreeRun * 3];
            test.AsSpan(3 * WarmUp, truth.Length).CopyTo(truth);
            // The first free state: the prediction from the last true state read.
            for (int c = 0; c < 3; c++) predicted[c] = test[3 * (WarmUp - 1) + c] + _change[c] * data.DeltaScale[c];
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int t = 1; t < options.FreeRun; t++)
            {
                Advance(predicted.AsSpan(3 * (t - 1), 3));
                for (int c = 0; c < 3; c++) predicted[3 * t + c] = _now[c] + _change[c] * data.DeltaScale[c];
            }
            double bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Math.Max(1, options.FreeRun - 1);
            return (truth, predicted, bytes);
        }

        /// <summary>Reads one state, advances the hidden state in place and leaves the predicted scaled change in <c>_change</c>.</summary>
        private void Advance(ReadOnlySpan<float> state)
        {
            state.CopyTo(_now);
            _input.CopyFrom(_now);
            model.Gru.Step(_input, _state);
            using (arena.Scope())
            using (arena.NoGrad())
                model.Head.Forward(_state.Select(0, options.Layers - 1)).CopyTo(_change); // the top layer's h
        }
    }
}
