using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Optim;

/// <summary>Learning-rate schedules against PyTorch 1.13.1's values (printed with repr), past T_max too.</summary>
public sealed class ScheduleTests
{
    [Test]
    public void CosineAnnealingLR_TMax3_MatchesPyTorchThroughTheRestart()
    {
        using var arena = new Arena();
        var sgd = new Sgd([arena.Zeros([1], requiresGrad: true)], 0.1f);
        var schedule = new CosineAnnealingLR(sgd, tMax: 3, etaMin: 0.01f);
        // torch.optim.lr_scheduler.CosineAnnealingLR(SGD(lr=0.1), T_max=3, eta_min=0.01): lr before each of 10 steps.
        double[] pytorch = [0.1, 0.0775, 0.032500000000000015, 0.01, 0.0325, 0.07750000000000005, 0.10000000000000007,
            0.07750000000000007, 0.03250000000000006, 0.01];
        for (int step = 0; step < pytorch.Length; step++)
        {
            Assert.That(sgd.LearningRateDouble, Is.EqualTo(pytorch[step]), $"epoch {step}");
            schedule.Step();
        }
        Assert.That(schedule.LastEpoch, Is.EqualTo(10));
    }

    [Test]
    public void StepLR_HalvesEveryTwoEpochs_AsPyTorch()
    {
        using var arena = new Arena();
        var sgd = new Sgd([arena.Zeros([1], requiresGrad: true)], 0.1f);
        var schedule = new StepLR(sgd, stepSize: 2, gamma: 0.5f);
        double[] pytorch = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125];
        for (int step = 0; step < pytorch.Length; step++)
        {
            Assert.That(sgd.LearningRateDouble, Is.EqualTo(pytorch[step]), $"epoch {step}");
            Assert.That(schedule.LastLearningRate, Is.EqualTo((float)pytorch[step]));
            schedule.Step();
        }
    }

    [Test]
    public void Schedules_NonPositivePeriods_Throw()
    {
        using var arena = new Arena();
        var sgd = new Sgd([arena.Zeros([1], requiresGrad: true)], 0.1f);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepLR(sgd, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new CosineAnnealingLR(sgd, 0));
    }
}
