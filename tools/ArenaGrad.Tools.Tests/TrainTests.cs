using System.Collections.Generic;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using ArenaGrad.Train;

namespace ArenaGrad.Tools.Tests;

/// <summary>The main job, run in-process with few steps.</summary>
[NonParallelizable]
public sealed class TrainTests
{
    [Test]
    public void Run_250FullBatchSteps_LearnsSpiralsAllocatesNothingPerStepAndWritesFiles()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();

        // Hidden 32 rather than the default 64 keeps this under 10 s on the slowest instruction-set path CI runs.
        TrainResult result = SpiralTraining.Run(
            new TrainOptions { Steps = 250, Hidden = 32, LearningRate = 0.02f, OutputDirectory = folder.Path }, console.Console);

        Assert.Multiple(() =>
        {
            Assert.That(result.Losses[0], Is.GreaterThan(0.6f), "an untrained 2-class model starts near ln 2");
            Assert.That(result.FinalLoss, Is.LessThan(0.1f));
            Assert.That(result.Accuracy, Is.GreaterThanOrEqualTo(0.95f));
            Assert.That(result.MeasuredSteps, Is.GreaterThanOrEqualTo(150));
            Assert.That(result.ManagedBytesPerStep, Is.Zero, "managed bytes per step after warm-up");
            Assert.That(result.StepsPerSecond, Is.GreaterThan(0));
            Assert.That(result.ReservedBytes, Is.GreaterThan(0));
            Assert.That(result.ExitCode, Is.Zero);
        });
        PngAssert.IsPng(Path.Combine(folder.Path, "decision_boundary.png"));
        PngAssert.IsPng(Path.Combine(folder.Path, "loss.png"));
        Assert.That(result.Files, Is.EquivalentTo(new[]
        {
            Path.Combine(folder.Path, "decision_boundary.png"), Path.Combine(folder.Path, "loss.png"),
            Path.Combine(folder.Path, "model.safetensors"),
        }));
    }

    [Test]
    public void Run_SavedSafetensors_ReloadIntoAnMlpThatScoresTheReportedAccuracy()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();
        var options = new TrainOptions { Steps = 60, Hidden = 16, Seed = 3, OutputDirectory = folder.Path };
        TrainResult result = SpiralTraining.Run(options, console.Console);
        string path = Path.Combine(folder.Path, "model.safetensors");

        using var arena = new Arena();
        var model = new Mlp(arena, [2, 16, 16, 2]);
        IReadOnlyDictionary<string, Tensor> state = Safetensors.Load(arena, path);
        model.LoadStateDict(state);
        float[] points = new float[2 * options.Points];
        int[] labels = new int[options.Points];
        Spirals.Generate(points, labels, options.Noise, options.Seed);
        float loss;
        int correct = 0;
        using (arena.NoGrad())
        {
            Tensor logits = model.Forward(arena.FromData(points, [options.Points, 2]));
            loss = Functional.CrossEntropy(logits, labels).Item();
            float[] values = logits.ToArray();
            for (int i = 0; i < labels.Length; i++)
                if ((values[2 * i + 1] > values[2 * i] ? 1 : 0) == labels[i]) correct++;
        }

        Assert.That(state.Keys, Is.EquivalentTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias" }));
        Assert.That(loss, Is.EqualTo(result.FinalLoss));
        Assert.That((float)correct / labels.Length, Is.EqualTo(result.Accuracy));
        IReadOnlyDictionary<string, string> metadata = Safetensors.ReadMetadata(path);
        Assert.That(metadata["model"], Is.EqualTo("Mlp 2-16-16-2 tanh"));
        Assert.That(metadata["steps"], Is.EqualTo("60"));
    }

    [Test]
    public void Run_WithoutTerminal_PrintsPlainProgressLinesAndTheSummary()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();

        SpiralTraining.Run(new TrainOptions { Steps = 40, Hidden = 16, OutputDirectory = folder.Path }, console.Console);

        string text = console.Text;
        Assert.That(text, Does.Contain("step  4/40  loss "));
        Assert.That(text, Does.Contain("step 40/40  loss "));
        Assert.That(text, Does.Contain("steps/s"));
        foreach (string row in new[] { "final loss", "accuracy", "steps per second", "managed bytes per step", "GC collections", "arena reserved bytes" })
            Assert.That(text, Does.Contain(row));
        Assert.That(text, Does.Not.Contain("\u001b["), "no ANSI escape codes when the console is not a terminal");
    }

    [Test]
    public void Run_MiniBatches_LearnsSpiralsAllocatesNothingPerStep()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();

        TrainResult result = SpiralTraining.Run(
            new TrainOptions { Steps = 600, BatchSize = 64, Hidden = 32, LearningRate = 0.02f, OutputDirectory = folder.Path }, console.Console);

        Assert.That(result.Accuracy, Is.GreaterThanOrEqualTo(0.9f));
        Assert.That(result.ManagedBytesPerStep, Is.Zero, "managed bytes per step after warm-up");
    }

    [Test]
    public void Spirals_SameSeed_GiveTheSameBalancedPointsInsideTheUnitDisc()
    {
        float[] a = new float[400], b = new float[400], other = new float[400];
        int[] labelsA = new int[200], labelsB = new int[200], labelsOther = new int[200];
        Spirals.Generate(a, labelsA, 0.03, 11);
        Spirals.Generate(b, labelsB, 0.03, 11);
        Spirals.Generate(other, labelsOther, 0.03, 12);

        Assert.That(b, Is.EqualTo(a));
        Assert.That(labelsB, Is.EqualTo(labelsA));
        Assert.That(other, Is.Not.EqualTo(a));
        Assert.That(labelsA.Count(l => l == 1), Is.EqualTo(100));
        for (int i = 0; i < 200; i++)
            Assert.That(MathF.Sqrt(a[2 * i] * a[2 * i] + a[2 * i + 1] * a[2 * i + 1]), Is.LessThan(1.15f));
    }

    [Test]
    public void Spirals_NoNoise_ClassOneIsClassZeroTurnedHalfway()
    {
        float[] points = new float[40];
        int[] labels = new int[20];
        Spirals.Generate(points, labels, 0, 1);
        for (int i = 0; i < 20; i += 2)
        {
            Assert.That(labels[i], Is.Zero);
            Assert.That(labels[i + 1], Is.EqualTo(1));
            Assert.That(points[2 * i + 2], Is.EqualTo(-points[2 * i]).Within(1e-6f));
            Assert.That(points[2 * i + 3], Is.EqualTo(-points[2 * i + 1]).Within(1e-6f));
        }
    }

    [TestCase(0, 0.01f, 400, 0, "--steps expects a positive integer, but got 0.")]
    [TestCase(10, -1f, 400, 0, "--lr expects a positive number, but got -1.")]
    [TestCase(10, 0.01f, 7, 0, "--points expects an even number of at least 2, but got 7.")]
    [TestCase(10, 0.01f, 400, 500, "--batch expects 0 (full batch) or 1..400, but got 500.")]
    public void Validate_OptionOutOfRange_ThrowsNamingOptionExpectedAndGot(int steps, float lr, int points, int batch, string message)
    {
        var options = new TrainOptions { Steps = steps, LearningRate = lr, Points = points, BatchSize = batch };
        Assert.That(() => options.Validate(), Throws.ArgumentException.With.Message.EqualTo(message));
    }
}
