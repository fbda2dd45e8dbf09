using ArenaGrad.Sequence;

namespace ArenaGrad.Tools.Tests;

/// <summary>The sequence demo: the Lorenz integrator, the valid-time measure, a short in-process run that must learn,
/// and the refused options.</summary>
[NonParallelizable]
public sealed class SequenceTests
{
    [Test]
    public void Run_300Steps_LearnsTheOneStepMapAllocatesNothingAndWritesPngs()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();
        var options = new SequenceOptions { Steps = 300, Hidden = 32, FreeRun = 120, OutputDirectory = folder.Path };

        SequenceResult result = SequenceFit.Run(options, console.Console);

        Assert.Multiple(() =>
        {
            Assert.That(result.Losses[^1], Is.LessThan(result.Losses[0] / 50), "the loss falls by more than 50x");
            // Persistence (next = this) is the baseline; an untrained GRU is about as bad as it (its output ~ 0 change).
            Assert.That(result.OneStepError, Is.LessThan(0.15 * result.PersistenceError), "one-step error on unseen data");
            Assert.That(result.ValidSteps, Is.GreaterThanOrEqualTo(10), "the free run follows the path for a while");
            Assert.That(result.ManagedBytesPerStep, Is.Zero, "managed bytes per training step after warm-up");
            Assert.That(result.ManagedBytesPerFreeStep, Is.Zero, "managed bytes per free-run step (GRU.Step)");
            Assert.That(result.GcCollections, Is.Zero);
            Assert.That(result.ExitCode, Is.Zero);
        });
        PngAssert.IsPng(Path.Combine(folder.Path, "sequence_trajectory.png"));
        PngAssert.IsPng(Path.Combine(folder.Path, "sequence_loss.png"));
        Assert.That(console.Text, Does.Contain("step 300/300  loss "));
        Assert.That(console.Text, Does.Contain("Lyapunov times"));
    }

    [Test]
    public void Lorenz_Rk4_ConvergesAtFourthOrderAndStaysOnTheAttractor()
    {
        // One unit of time from (1, 1, 1) with steps h and h/2: the error of RK4 falls 16x per halving.
        static (double, double, double) Integrate(int steps)
        {
            double x = 1, y = 1, z = 1, h = 0.5 / steps;
            for (int i = 0; i < steps; i++) Lorenz.Step(ref x, ref y, ref z, h);
            return (x, y, z);
        }
        (double fx, double fy, double fz) = Integrate(64_000);
        double Error(int steps)
        {
            (double x, double y, double z) = Integrate(steps);
            return Math.Sqrt((x - fx) * (x - fx) + (y - fy) * (y - fy) + (z - fz) * (z - fz));
        }
        double ratio = Error(500) / Error(1000);
        Assert.That(ratio, Is.InRange(12.0, 20.0), "fourth order: halving h divides the error by about 16");

        double[] path = Lorenz.Trajectory(5_000, 0.02, transient: 1_000);
        for (int i = 0; i < 5_000; i++)
        {
            Assert.That(Math.Abs(path[3 * i]), Is.LessThan(25), "x on the attractor");
            Assert.That(path[3 * i + 2], Is.InRange(0.0, 55.0), "z on the attractor");
        }
    }

    [Test]
    public void ValidSteps_CountsUntilTheRmsErrorFirstExceedsTheThreshold()
    {
        float[] truth = new float[3 * 5];
        float[] predicted = new float[3 * 5];
        for (int t = 0; t < 5; t++)
            for (int c = 0; c < 3; c++)
                predicted[3 * t + c] = 0.125f * t; // RMS error 0.125 t: 0, 0.125, 0.25, 0.375, 0.5 (exact in float)
        Assert.That(SequenceFit.ValidSteps(truth, predicted), Is.EqualTo(4), "0.375 is within 0.4, 0.5 is not");
        predicted[0] = float.NaN;
        Assert.That(SequenceFit.ValidSteps(truth, predicted), Is.Zero, "a NaN prediction is not valid");
    }

    [TestCase("Steps", 0, "--steps expects a positive integer, but got 0.")]
    [TestCase("Hidden", -1, "--hidden expects a positive integer, but got -1.")]
    [TestCase("Chunk", 0, "--chunk expects a positive integer, but got 0.")]
    [TestCase("TrainSamples", 100, "--train-samples expects at least streams × (chunk + 1) = 1056, but got 100.")]
    public void Validate_RefusedOption_SaysWhatWasExpectedAndWhatCame(string option, int value, string message)
    {
        SequenceOptions options = option switch
        {
            "Steps" => new SequenceOptions { Steps = value },
            "Hidden" => new SequenceOptions { Hidden = value },
            "Chunk" => new SequenceOptions { Chunk = value },
            _ => new SequenceOptions { TrainSamples = value },
        };
        Assert.That(Assert.Throws<ArgumentException>(options.Validate)!.Message, Is.EqualTo(message));
    }
}
