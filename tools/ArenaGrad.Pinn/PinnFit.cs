using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Tools;
using Spectre.Console;

namespace ArenaGrad.Pinn;

/// <summary>
/// Trains an MLP 1-H-H-1 (tanh) u(t) with Adam on the physics-informed loss of a damped oscillator
/// (<see cref="PhysicsLoss"/>) and compares it with the closed-form solution.
/// </summary>
/// <remarks>
/// Weights, optimizer state and the collocation points are made outside any scope; each step (forward, two
/// <c>Autograd.Grad(createGraph: true)</c> passes, loss, backward, update) runs in <c>using (arena.Scope())</c>. Time and
/// managed bytes are taken right around each step; snapshots of the fit for the picture happen between steps.
/// </remarks>
internal static class PinnFit
{
    /// <summary>Points of the grid the error is measured and the fit drawn on.</summary>
    public const int GridPoints = 501;

    /// <summary>Trains as <paramref name="options"/> says, reports on <paramref name="console"/> and writes the PNGs.</summary>
    public static PinnResult Run(PinnOptions options, IAnsiConsole console)
    {
        options.Validate();
        Oscillator oscillator = Oscillator.From(options);
        using var arena = new Arena(new ArenaOptions { Seed = options.Seed });
        int[] sizes = [1, options.Hidden, options.Hidden, 1];
        var model = new Mlp(arena, sizes, static () => new Tanh());
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        var schedule = new CosineAnnealingLR(optimizer, options.Steps);
        var loss = new PhysicsLoss(arena, model, options);
        float[] gridTimes = new float[GridPoints];
        for (int i = 0; i < GridPoints; i++) gridTimes[i] = (float)((double)options.Duration * i / (GridPoints - 1));
        Tensor grid = arena.FromData(gridTimes, [GridPoints, 1]);

        console.MarkupLine("[bold]ArenaGrad.Pinn[/]: " + Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{options.Mass:0.###}·u'' + {options.Damping:0.###}·u' + {options.Stiffness:0.###}·u = 0, " +
            $"u(0) = {options.InitialPosition:0.###}, u'(0) = {options.InitialVelocity:0.###}, t in [0, {options.Duration:0.###}] " +
            $"({Describe(oscillator)}); MLP {string.Join('-', sizes)} tanh, {options.Points} collocation points, " +
            $"Adam lr {options.LearningRate} (cosine), {options.Steps} steps, seed {options.Seed}")));

        var snapshots = new List<(int Step, float[] U)>();
        FitError initial = Snapshot(arena, loss, grid, oscillator, gridTimes, snapshots, 0);
        int tensorsPerStep = CountTensors(arena, loss);

        var losses = new float[options.Steps];
        var residualLosses = new float[options.Steps];
        var initialLosses = new float[options.Steps];
        var trainer = new TrainingLoop(arena, loss, optimizer, schedule, grid, oscillator, gridTimes, snapshots);
        LoopStats stats = StepProgress.Run(console, "training", options.Steps, "steps",
            progress => trainer.Run(losses, residualLosses, initialLosses, progress));
        long reservedBytes = arena.ReservedBytes;

        FitError final = Snapshot(arena, loss, grid, oscillator, gridTimes, snapshots, options.Steps);
        (float Position, float Velocity) start;
        using (arena.Scope())
            start = loss.InitialState();

        Directory.CreateDirectory(options.OutputDirectory);
        string fit = Path.Combine(options.OutputDirectory, "pinn_fit.png");
        PinnPlots.Fit(fit, gridTimes, snapshots, oscillator, loss.Times, options, final);
        string lossCurve = Path.Combine(options.OutputDirectory, "pinn_loss.png");
        PinnPlots.LossCurves(lossCurve, losses, residualLosses, initialLosses);

        var result = new PinnResult(oscillator, initial, final, start, losses, residualLosses, initialLosses,
            stats.StepsPerSecond, stats.MeasuredSteps, stats.ManagedBytesPerStep, stats.GcCollections, tensorsPerStep,
            reservedBytes, [fit, lossCurve]);
        console.Write(Summary(result, options));
        if (result.ExitCode != 0)
            console.MarkupLine("[red]The fit diverged (the error is not finite): try a smaller --lr.[/]");
        return result;
    }

    /// <summary>The damping regime in words, for the header.</summary>
    private static string Describe(Oscillator oscillator)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        return oscillator.Regime switch
        {
            Damping.Under => string.Create(c, $"under-damped, ζ = {oscillator.DampingRatio:0.###}, ω_d = {oscillator.DampedFrequency:0.###}"),
            Damping.Critical => string.Create(c, $"critically damped, ζ = 1, ω₀ = {oscillator.NaturalFrequency:0.###}"),
            _ => string.Create(c, $"over-damped, ζ = {oscillator.DampingRatio:0.###}, ω₀ = {oscillator.NaturalFrequency:0.###}"),
        };
    }

    /// <summary>The network on the grid, without recording: kept for the picture, and its error against the exact solution.</summary>
    private static FitError Snapshot(Arena arena, PhysicsLoss loss, Tensor grid, Oscillator oscillator, float[] gridTimes,
        List<(int, float[])> snapshots, int step)
    {
        float[] u = new float[gridTimes.Length];
        using (arena.Scope())
        using (arena.NoGrad())
            loss.Predict(grid).CopyTo(u);
        snapshots.Add((step, u));
        return Error(u, gridTimes, oscillator);
    }

    /// <summary>Max and relative L2 error of <paramref name="u"/> at <paramref name="times"/>, in double.</summary>
    public static FitError Error(ReadOnlySpan<float> u, ReadOnlySpan<float> times, Oscillator oscillator)
    {
        double max = 0, squared = 0, norm = 0;
        for (int i = 0; i < u.Length; i++)
        {
            double exact = oscillator.Position(times[i]), error = u[i] - exact;
            if (!double.IsFinite(error)) return new FitError(double.NaN, double.NaN);
            max = Math.Max(max, Math.Abs(error));
            squared += error * error;
            norm += exact * exact;
        }
        return new FitError(max, norm > 0 ? Math.Sqrt(squared / norm) : Math.Sqrt(squared / u.Length));
    }

    /// <summary>How many tensors one recorded step makes (its graph, the derivative graphs and the weight gradients).</summary>
    private static int CountTensors(Arena arena, PhysicsLoss loss)
    {
        int before = arena.TensorCount;
        using (arena.Scope())
        {
            loss.Compute(out _, out _).Backward();
            return arena.TensorCount - before;
        }
    }

    private static Rows Summary(PinnResult result, PinnOptions options)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var fit = new Table().Border(TableBorder.Rounded).Title("[bold]fit against the closed-form solution[/]");
        fit.AddColumn("");
        fit.AddColumn(new TableColumn("untrained").RightAligned());
        fit.AddColumn(new TableColumn("trained").RightAligned());
        void Fit(string name, string before, string after) => fit.AddRow(Markup.Escape(name), Markup.Escape(before), Markup.Escape(after));
        Fit($"max |u - u_exact| over {GridPoints} points", Number(result.Initial.MaxError), Number(result.Final.MaxError));
        Fit("relative L2 error", Number(result.Initial.RelativeL2Error), Number(result.Final.RelativeL2Error));
        Fit("loss (residual + initial conditions)", StepProgress.FormatLoss(result.Losses[0]), StepProgress.FormatLoss(result.Losses[^1]));
        Fit(string.Create(c, $"u(0), target {options.InitialPosition:0.###}"), "", result.FittedStart.Position.ToString("0.00000", c));
        Fit(string.Create(c, $"u'(0), target {options.InitialVelocity:0.###}"), "", result.FittedStart.Velocity.ToString("0.00000", c));

        var run = new Table().Border(TableBorder.Rounded).Title("[bold]run[/]");
        run.AddColumn("measure");
        run.AddColumn(new TableColumn("value").RightAligned());
        void Run(string name, string value) => run.AddRow(Markup.Escape(name), Markup.Escape(value));
        Run("steps per second", result.StepsPerSecond.ToString("N0", c));
        Run("tensors per step", result.TensorsPerStep.ToString("N0", c));
        Run($"managed bytes per step (last {result.MeasuredSteps})", result.ManagedBytesPerStep.ToString("0.##", c));
        Run("GC collections during training", result.GcCollections.ToString(c));
        Run("arena reserved bytes", result.ReservedBytes.ToString("N0", c));
        foreach (string file in result.Files) Run("wrote", file);
        return new Rows(fit, run);

        static string Number(double value) => value.ToString(Math.Abs(value) >= 1e-3 || value == 0 || !double.IsFinite(value) ? "0.00000" : "0.000e0",
            CultureInfo.InvariantCulture);
    }

    private readonly record struct LoopStats(double StepsPerSecond, int MeasuredSteps, double ManagedBytesPerStep, int GcCollections);

    /// <summary>The training loop, held so the step itself captures nothing.</summary>
    private sealed class TrainingLoop(Arena arena, PhysicsLoss loss, Adam optimizer, CosineAnnealingLR schedule, Tensor grid,
        Oscillator oscillator, float[] gridTimes, List<(int, float[])> snapshots)
    {
        public LoopStats Run(float[] losses, float[] residualLosses, float[] initialLosses, StepProgress progress)
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
                (float total, float residual, float initial) = Step();
                long after = meter.End(step);
                (losses[step], residualLosses[step], initialLosses[step]) = (total, residual, initial);
                // Fits after 1/8, 1/4 and 1/2 of the steps, drawn faintly: the solution is learned from t = 0 onwards.
                int done = step + 1;
                if (done < steps && (done == steps / 8 || done == steps / 4 || done == steps / 2))
                    Snapshot(arena, loss, grid, oscillator, gridTimes, snapshots, done);
                if (progress.IsDue(done))
                {
                    double seconds = Stopwatch.GetElapsedTime(reportedTime, after).TotalSeconds;
                    progress.Report(done, total, (done - reported) / Math.Max(seconds, 1e-9));
                    reported = done;
                    reportedTime = Stopwatch.GetTimestamp();
                }
            }

            collections = GC.CollectionCount(0) - collections;
            (double stepsPerSecond, double bytesPerStep) = meter.Rates(steps);
            return new LoopStats(stepsPerSecond, steps - warmUp, bytesPerStep, collections);
        }

        /// <summary>Loss with u' and u'' from double-backward graphs, backward to the weights, Adam, schedule; returns the loss and its parts.</summary>
        private (float Total, float Residual, float Initial) Step()
        {
            optimizer.ZeroGrad();
            (float, float, float) values;
            using (arena.Scope())
            {
                Tensor total = loss.Compute(out Tensor residual, out Tensor initial);
                total.Backward();
                values = (total.Item(), residual.Item(), initial.Item());
            }
            optimizer.Step();
            schedule.Step();
            return values;
        }
    }
}
