using ArenaGrad.Projectile;

namespace ArenaGrad.Tools.Tests;

/// <summary>The simulation demo, run in-process with few iterations, and its differentiable flight.</summary>
[NonParallelizable]
public sealed class ProjectileTests
{
    [Test]
    public void Run_150Iterations_HitsTargetAllocatesNothingPerIterationAndWritesPng()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();

        ProjectileResult result = ProjectileFit.Run(new ProjectileOptions { Iterations = 150, OutputDirectory = folder.Path }, console.Console);

        Assert.Multiple(() =>
        {
            Assert.That(result.InitialMiss, Is.GreaterThan(40f), "the first guess lands far short");
            Assert.That(result.FinalMiss, Is.LessThan(0.05f), "metres from the target after the fit");
            Assert.That(result.Losses[^1], Is.LessThan(result.Losses[0] * 1e-4f));
            Assert.That(result.ManagedBytesPerIteration, Is.Zero, "managed bytes per iteration after warm-up");
            Assert.That(result.TensorsPerIteration, Is.GreaterThan(400 * 8), "every integration step is in the graph");
            Assert.That(result.ExitCode, Is.Zero);
        });
        PngAssert.IsPng(Path.Combine(folder.Path, "trajectory.png"));
        Assert.That(console.Text, Does.Contain("iteration 150/150  loss "));
        Assert.That(console.Text, Does.Contain("managed bytes per iteration"));
    }

    [Test]
    public void Simulate_LossAndLaunchGradient_MatchDoublePrecisionFlightAndFiniteDifferences()
    {
        var options = new ProjectileOptions { TargetX = 60f, TargetY = 5f, FlightTime = 3f, IntegrationSteps = 300, Drag = 0.02f };
        using var arena = new Arena();
        var flight = new Flight(arena, options);
        Tensor launch = arena.FromData([20f, 15f], requiresGrad: true);

        Tensor loss = flight.Simulate(launch);
        loss.Backward();
        float[] gradient = launch.Grad!.Value.ToArray();

        double expected = ReferenceLoss(options, 20, 15);
        const double h = 1e-4;
        double dx = (ReferenceLoss(options, 20 + h, 15) - ReferenceLoss(options, 20 - h, 15)) / (2 * h);
        double dy = (ReferenceLoss(options, 20, 15 + h) - ReferenceLoss(options, 20, 15 - h)) / (2 * h);
        Assert.That(loss.Item(), Is.EqualTo(expected).Within(1e-3).Percent);
        Assert.That(gradient[0], Is.EqualTo(dx).Within(1e-2).Percent);
        Assert.That(gradient[1], Is.EqualTo(dy).Within(1e-2).Percent);
    }

    [Test]
    public void Simulate_WithTrace_RecordsEveryStepEndingAtTheFinalPosition()
    {
        var options = new ProjectileOptions { IntegrationSteps = 50, Drag = 0f, FlightTime = 1f, TargetX = 0, TargetY = 0 };
        using var arena = new Arena();
        var flight = new Flight(arena, options);
        float[] trace = new float[100];

        float squaredDistance = flight.Simulate(arena.FromData([10f, 10f]), trace).Item();

        // Without drag: x(T) = vx·T and, for semi-implicit Euler, y(T) = vy·T − g·dt²·n(n+1)/2.
        double dt = 1.0 / 50;
        Assert.That(trace[98], Is.EqualTo(10.0).Within(1e-4));
        Assert.That(trace[99], Is.EqualTo(10.0 - 9.81 * dt * dt * 50 * 51 / 2).Within(1e-4));
        Assert.That(squaredDistance, Is.EqualTo(trace[98] * trace[98] + trace[99] * trace[99]).Within(1e-3).Percent);
        Assert.That(trace[0], Is.EqualTo(10 * dt).Within(1e-6));
    }

    [Test]
    public void Launch_FromSpeedAndAngle_RoundTrips()
    {
        Launch launch = Launch.FromSpeedAndAngle(30f, 60f);
        Assert.That(launch.Vx, Is.EqualTo(15f).Within(1e-4f));
        Assert.That(launch.Speed, Is.EqualTo(30f).Within(1e-4f));
        Assert.That(launch.AngleDegrees, Is.EqualTo(60f).Within(1e-4f));
    }

    [TestCase(0, 1f, 400, "--iterations expects a positive integer, but got 0.")]
    [TestCase(10, 0f, 400, "--lr expects a positive number, but got 0.")]
    [TestCase(10, 1f, 0, "--integration-steps expects a positive integer, but got 0.")]
    public void Validate_OptionOutOfRange_ThrowsNamingOptionExpectedAndGot(int iterations, float lr, int steps, string message)
    {
        var options = new ProjectileOptions { Iterations = iterations, LearningRate = lr, IntegrationSteps = steps };
        Assert.That(() => options.Validate(), Throws.ArgumentException.With.Message.EqualTo(message));
    }

    /// <summary>The same semi-implicit Euler flight in double precision, written out by hand.</summary>
    private static double ReferenceLoss(ProjectileOptions options, double vx, double vy)
    {
        double dt = (double)options.FlightTime / options.IntegrationSteps, x = 0, y = 0;
        for (int i = 0; i < options.IntegrationSteps; i++)
        {
            double speed = Math.Sqrt(vx * vx + vy * vy);
            vx += dt * (-options.Drag * speed * vx);
            vy += dt * (-9.81 - options.Drag * speed * vy);
            x += dt * vx;
            y += dt * vy;
        }
        return (x - options.TargetX) * (x - options.TargetX) + (y - options.TargetY) * (y - options.TargetY);
    }
}
