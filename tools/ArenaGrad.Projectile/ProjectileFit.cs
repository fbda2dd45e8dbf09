using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using ArenaGrad.Optim;
using ArenaGrad.Tools;
using Spectre.Console;

namespace ArenaGrad.Projectile;

/// <summary>
/// Fits the launch velocity of a projectile with air drag so that it is at the target at the flight time, by
/// back-propagating the miss through every integration step and updating the velocity with Adam.
/// </summary>
/// <remarks>
/// The launch velocity and optimizer state are made outside any scope; each iteration (simulate, backward, update)
/// runs in <c>using (arena.Scope())</c>, which releases the few thousand tensors of the flight in O(1). Time and
/// managed bytes are taken right around each iteration; tracing flights for the picture happens between them.
/// </remarks>
internal static class ProjectileFit
{
    /// <summary>Fits as <paramref name="options"/> says, reports on <paramref name="console"/> and writes the PNG.</summary>
    public static ProjectileResult Run(ProjectileOptions options, IAnsiConsole console)
    {
        options.Validate();
        using var arena = new Arena();
        var flight = new Flight(arena, options);
        Launch initial = Launch.FromSpeedAndAngle(options.InitialSpeed, options.InitialAngle);
        Tensor launchVelocity = arena.FromData([initial.Vx, initial.Vy], requiresGrad: true);
        var optimizer = new Adam([launchVelocity], options.LearningRate);

        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]ArenaGrad.Projectile[/]: hit ({options.TargetX:0.##} m, {options.TargetY:0.##} m) at t = {options.FlightTime:0.##} s, " +
            $"drag k = {options.Drag:0.####}/m, {options.IntegrationSteps} Euler steps per flight; first guess " +
            $"{initial.Speed:0.#} m/s at {initial.AngleDegrees:0.#}°; Adam lr {options.LearningRate}, {options.Iterations} iterations"));

        var traces = new List<(int Iteration, float[] Points)>();
        float initialMiss = Trace(arena, flight, launchVelocity, traces, 0);
        int tensorsPerIteration = CountTensors(arena, flight, launchVelocity);

        float[] losses = new float[options.Iterations];
        var loop = new FitLoop(arena, flight, launchVelocity, optimizer, traces);
        LoopStats stats = StepProgress.Run(console, "fitting", options.Iterations, "iterations", progress => loop.Run(losses, progress));
        long reservedBytes = arena.ReservedBytes;

        float[] fitted = launchVelocity.ToArray();
        var fittedLaunch = new Launch(fitted[0], fitted[1]);
        float finalMiss = Trace(arena, flight, launchVelocity, traces, options.Iterations);

        Directory.CreateDirectory(options.OutputDirectory);
        string picture = Path.Combine(options.OutputDirectory, "trajectory.png");
        ProjectilePlots.Trajectories(picture, traces, options);

        var result = new ProjectileResult(initial, fittedLaunch, initialMiss, finalMiss, losses, stats.IterationsPerSecond,
            stats.MeasuredIterations, stats.ManagedBytesPerIteration, stats.GcCollections, tensorsPerIteration, reservedBytes, [picture]);
        console.Write(Summary(result, options));
        if (result.ExitCode != 0)
            console.MarkupLine("[red]The fit diverged (the miss is not finite): try a smaller --lr.[/]");
        return result;
    }

    /// <summary>Flies <paramref name="launchVelocity"/> without recording, keeps the path for the picture, returns the miss in metres.</summary>
    private static float Trace(Arena arena, Flight flight, Tensor launchVelocity, List<(int, float[])> traces, int iteration)
    {
        float[] points = new float[2 * flight.Steps];
        using (arena.Scope())
        using (arena.NoGrad())
        {
            float miss = MathF.Sqrt(flight.Simulate(launchVelocity, points).Item());
            traces.Add((iteration, points));
            return miss;
        }
    }

    /// <summary>How many tensors one recorded flight makes (its graph), for the summary.</summary>
    private static int CountTensors(Arena arena, Flight flight, Tensor launchVelocity)
    {
        int before = arena.TensorCount;
        using (arena.Scope())
        {
            flight.Simulate(launchVelocity);
            return arena.TensorCount - before;
        }
    }

    private static Rows Summary(ProjectileResult result, ProjectileOptions options)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var launch = new Table().Border(TableBorder.Rounded).Title("[bold]launch[/]");
        launch.AddColumn("");
        launch.AddColumn(new TableColumn("first guess").RightAligned());
        launch.AddColumn(new TableColumn("fitted").RightAligned());
        void Launch(string name, string first, string fitted) => launch.AddRow(Markup.Escape(name), Markup.Escape(first), Markup.Escape(fitted));
        Launch("speed", result.Initial.Speed.ToString("0.000", c) + " m/s", result.Fitted.Speed.ToString("0.000", c) + " m/s");
        Launch("angle", result.Initial.AngleDegrees.ToString("0.000", c) + " °", result.Fitted.AngleDegrees.ToString("0.000", c) + " °");
        Launch("velocity (vx, vy)", Pair(result.Initial), Pair(result.Fitted));
        Launch(string.Create(c, $"miss at t = {options.FlightTime:0.##} s"), Metres(result.InitialMiss), Metres(result.FinalMiss));

        var run = new Table().Border(TableBorder.Rounded).Title("[bold]run[/]");
        run.AddColumn("measure");
        run.AddColumn(new TableColumn("value").RightAligned());
        void Run(string name, string value) => run.AddRow(Markup.Escape(name), Markup.Escape(value));
        Run("iterations per second", result.IterationsPerSecond.ToString("N0", c));
        Run("simulation steps per second (fwd + bwd)", (result.IterationsPerSecond * options.IntegrationSteps).ToString("N0", c));
        Run("tensors per iteration", result.TensorsPerIteration.ToString("N0", c));
        Run($"managed bytes per iteration (last {result.MeasuredIterations})", result.ManagedBytesPerIteration.ToString("0.##", c));
        Run("GC collections during the fit", result.GcCollections.ToString(c));
        Run("arena reserved bytes", result.ReservedBytes.ToString("N0", c));
        foreach (string file in result.Files) Run("wrote", file);
        return new Rows(launch, run);

        static string Pair(Launch launch) => string.Create(CultureInfo.InvariantCulture, $"({launch.Vx:0.000}, {launch.Vy:0.000}) m/s");
        static string Metres(float metres) => metres >= 0.01f || !float.IsFinite(metres)
            ? metres.ToString("0.000", CultureInfo.InvariantCulture) + " m"
            : (metres * 1000).ToString("0.000", CultureInfo.InvariantCulture) + " mm";
    }

    private readonly record struct LoopStats(double IterationsPerSecond, int MeasuredIterations, double ManagedBytesPerIteration, int GcCollections);

    /// <summary>The optimization loop, held so the iteration itself captures nothing.</summary>
    private sealed class FitLoop(Arena arena, Flight flight, Tensor launchVelocity, Adam optimizer, List<(int, float[])> traces)
    {
        public LoopStats Run(float[] losses, StepProgress progress)
        {
            int iterations = losses.Length;
            int warmUp = iterations < 20 ? iterations / 2 : Math.Min(50, iterations / 5);
            var meter = new StepMeter(warmUp);
            int reported = 0, nextTrace = 1;
            long reportedTime = Stopwatch.GetTimestamp();
            int collections = GC.CollectionCount(0);

            for (int iteration = 0; iteration < iterations; iteration++)
            {
                meter.Begin();
                float loss = Iterate();
                long after = meter.End(iteration);
                losses[iteration] = loss;
                // Flights after 1, 2, 4, 8, ... iterations, drawn faintly to show the fit converging.
                if (iteration + 1 == nextTrace && iteration + 1 < iterations)
                {
                    Trace(arena, flight, launchVelocity, traces, iteration + 1);
                    nextTrace *= 2;
                }
                if (progress.IsDue(iteration + 1))
                {
                    double seconds = Stopwatch.GetElapsedTime(reportedTime, after).TotalSeconds;
                    progress.Report(iteration + 1, loss, (iteration + 1 - reported) / Math.Max(seconds, 1e-9));
                    reported = iteration + 1;
                    reportedTime = Stopwatch.GetTimestamp();
                }
            }

            collections = GC.CollectionCount(0) - collections;
            (double iterationsPerSecond, double bytesPerIteration) = meter.Rates(iterations);
            return new LoopStats(iterationsPerSecond, iterations - warmUp, bytesPerIteration, collections);
        }

        /// <summary>Simulate, back-propagate the squared miss through the flight, update; returns the loss.</summary>
        private float Iterate()
        {
            using (arena.Scope())
            {
                optimizer.ZeroGrad();
                Tensor loss = flight.Simulate(launchVelocity);
                loss.Backward();
                optimizer.Step();
                return loss.Item();
            }
        }
    }
}
