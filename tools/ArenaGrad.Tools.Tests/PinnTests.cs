using ArenaGrad.Nn;
using ArenaGrad.Pinn;

namespace ArenaGrad.Tools.Tests;

/// <summary>The physics-informed demo, run in-process with few steps, its loss and the closed-form reference.</summary>
[NonParallelizable]
public sealed class PinnTests
{
    [Test]
    public void Run_400Steps_LearnsTheOscillatorAllocatesNothingPerStepAndWritesPngs()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();

        // A shorter interval than the default (about 0.8 periods instead of 1.6), so 400 steps are enough to learn it.
        var options = new PinnOptions { Steps = 400, Duration = 2.5f, OutputDirectory = folder.Path };
        PinnResult result = PinnFit.Run(options, console.Console);

        Assert.Multiple(() =>
        {
            Assert.That(result.Oscillator.Regime, Is.EqualTo(Damping.Under));
            Assert.That(result.Initial.MaxError, Is.GreaterThan(0.3), "the untrained network is far from the solution");
            Assert.That(result.Final.MaxError, Is.LessThan(0.02), "max |u - u_exact| after 400 steps");
            Assert.That(result.Final.RelativeL2Error, Is.LessThan(0.02));
            Assert.That(result.FittedStart.Position, Is.EqualTo(1f).Within(0.01f), "u(0)");
            Assert.That(result.FittedStart.Velocity, Is.EqualTo(0f).Within(0.03f), "u'(0)");
            Assert.That(result.Losses[^1], Is.LessThan(result.Losses[0] * 1e-3f));
            Assert.That(result.ManagedBytesPerStep, Is.Zero, "managed bytes per step after warm-up");
            Assert.That(result.GcCollections, Is.Zero);
            Assert.That(result.ExitCode, Is.Zero);
        });
        PngAssert.IsPng(Path.Combine(folder.Path, "pinn_fit.png"));
        PngAssert.IsPng(Path.Combine(folder.Path, "pinn_loss.png"));
        Assert.That(console.Text, Does.Contain("step 400/400  loss "));
        Assert.That(console.Text, Does.Contain("managed bytes per step"));
        Assert.That(console.Text, Does.Contain("under-damped"));
    }

    [Test]
    public void Compute_ResidualAndInitialLoss_MatchADoublePrecisionNetworkWithFiniteDifferences()
    {
        var options = new PinnOptions { Mass = 2f, Damping = 0.7f, Stiffness = 5f, InitialPosition = 0.5f, InitialVelocity = -1f, Duration = 3f, Points = 9 };
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var model = new Mlp(arena, [1, 8, 8, 1]);
        var loss = new PhysicsLoss(arena, model, options);
        double[][] weights = model.Parameters().Select(p => p.ToArray().Select(v => (double)v).ToArray()).ToArray();

        Tensor total = loss.Compute(out Tensor residualLoss, out Tensor initialLoss);

        // u(t) of the same network in double; u' and u'' by central differences.
        double U(double t)
        {
            double x = t * 2 / options.Duration - 1;
            double[] h1 = new double[8], h2 = new double[8];
            for (int i = 0; i < 8; i++) h1[i] = Math.Tanh(weights[0][i] * x + weights[1][i]);
            for (int i = 0; i < 8; i++)
            {
                double s = weights[3][i];
                for (int j = 0; j < 8; j++) s += weights[2][i * 8 + j] * h1[j];
                h2[i] = Math.Tanh(s);
            }
            double u = weights[5][0];
            for (int j = 0; j < 8; j++) u += weights[4][j] * h2[j];
            return u;
        }
        const double h = 1e-4;
        double residual = 0;
        foreach (float t in loss.Times)
        {
            double u = U(t), du = (U(t + h) - U(t - h)) / (2 * h), ddu = (U(t + h) - 2 * u + U(t - h)) / (h * h);
            double r = (options.Mass * ddu + options.Damping * du + options.Stiffness * u) / options.Stiffness;
            residual += r * r / loss.Times.Length;
        }
        double v0 = (U(h) - U(-h)) / (2 * h);
        double initial = Math.Pow(U(0) - options.InitialPosition, 2)
            + Math.Pow((v0 - options.InitialVelocity) * Math.Sqrt(options.Mass / options.Stiffness), 2);

        Assert.That(residualLoss.Item(), Is.EqualTo(residual).Within(1e-3).Percent);
        Assert.That(initialLoss.Item(), Is.EqualTo(initial).Within(1e-3).Percent);
        Assert.That(total.Item(), Is.EqualTo(residual + initial).Within(1e-3).Percent);
        Assert.That(loss.Times[0], Is.Zero);
        Assert.That(loss.Times[^1], Is.EqualTo(3f));
    }

    [TestCase(1.0, 0.4, 4.0, 1.0, 0.0, "Under")]
    [TestCase(1.0, 0.0, 4.0, 0.0, 1.0, "Under")]
    [TestCase(1.0, 4.0, 4.0, 1.0, 0.5, "Critical")]
    [TestCase(2.0, 10.0, 3.0, -0.5, 2.0, "Over")]
    public void Oscillator_ClosedForm_MeetsInitialConditionsAndTheEquation(double m, double c, double k, double u0, double v0, string regime)
    {
        var oscillator = new Oscillator(m, c, k, u0, v0);
        Assert.That(oscillator.Regime.ToString(), Is.EqualTo(regime));
        Assert.That(oscillator.Position(0), Is.EqualTo(u0).Within(1e-12));
        Assert.That(oscillator.Velocity(0), Is.EqualTo(v0).Within(1e-12));
        const double h = 1e-5;
        for (double t = 0.1; t < 6; t += 0.37)
        {
            double du = (oscillator.Position(t + h) - oscillator.Position(t - h)) / (2 * h);
            double ddu = (oscillator.Velocity(t + h) - oscillator.Velocity(t - h)) / (2 * h);
            Assert.That(oscillator.Velocity(t), Is.EqualTo(du).Within(1e-7), $"u'({t})");
            Assert.That(m * ddu + c * oscillator.Velocity(t) + k * oscillator.Position(t), Is.EqualTo(0).Within(1e-6), $"residual at t = {t}");
        }
    }

    [Test]
    public void Oscillator_Undamped_IsTheCosineAndSine()
    {
        var oscillator = new Oscillator(1, 0, 4, 1, 2);
        for (double t = 0; t < 5; t += 0.5)
            Assert.That(oscillator.Position(t), Is.EqualTo(Math.Cos(2 * t) + Math.Sin(2 * t)).Within(1e-12));
    }

    [TestCase(0, 0.01f, 1f, 4f, "--steps expects a positive integer, but got 0.")]
    [TestCase(10, 0f, 1f, 4f, "--lr expects a positive number, but got 0.")]
    [TestCase(10, 0.01f, 0f, 4f, "--mass expects a positive number, but got 0.")]
    [TestCase(10, 0.01f, 1f, -1f, "--stiffness expects a positive number, but got -1.")]
    public void Validate_OptionOutOfRange_ThrowsNamingOptionExpectedAndGot(int steps, float lr, float mass, float stiffness, string message)
    {
        var options = new PinnOptions { Steps = steps, LearningRate = lr, Mass = mass, Stiffness = stiffness };
        Assert.That(() => options.Validate(), Throws.ArgumentException.With.Message.EqualTo(message));
    }
}
