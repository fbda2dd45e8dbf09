using ArenaGrad.Soak;

namespace ArenaGrad.Tests.Reliability;

/// <summary>The soak tool's run, short: after warm-up nothing it watches may grow.</summary>
public sealed class SoakTests
{
    [Test]
    public void Soak_ThreeThousandSteps_StaysFlatAfterWarmup()
    {
        SoakResult result = SoakRun.Run(new SoakOptions { Steps = 3_000, WarmupSteps = 1_000, Reports = 4 }, output: null);
        SoakSnapshot start = result.Baseline, end = result.Final;
        Assert.That(end.Step, Is.EqualTo(3_000));
        // GC counts are process-wide and the test host's own threads allocate, so they are left to the tool's run;
        // no managed byte allocated on the training thread means the steps caused no collection.
        Assert.That(end.AllocatedBytes, Is.Zero, "managed bytes allocated by the steps after warm-up");
        Assert.That(end.ReservedBytes, Is.EqualTo(start.ReservedBytes));
        Assert.That(end.BlockCount, Is.EqualTo(start.BlockCount));
        Assert.That(end.TensorCount, Is.EqualTo(start.TensorCount));
        Assert.That(end.TapeLength, Is.Zero);
        Assert.That(end.StepTensorCount, Is.EqualTo(start.StepTensorCount));
        Assert.That(end.StepTapeLength, Is.EqualTo(start.StepTapeLength).And.GreaterThan(0));
        Assert.That(end.Loss, Is.LessThan(start.Loss), "it trains");
    }

    [Test]
    public void GrowthBetween_NamesEveryFigureThatGrew()
    {
        var baseline = new SoakSnapshot(1000, 0, 3, 1, 0, 4096, 1, 13, 0, 26, 6, 0.5f, 0, 0);
        Assert.That(SoakRun.GrowthBetween(baseline, baseline with { Step = 2000 }), Is.Empty);
        var grown = baseline with { Step = 2000, AllocatedBytes = 24, Gen0 = 4, ReservedBytes = 8192, TapeLength = 1, StepTensorCount = 27 };
        Assert.That(SoakRun.GrowthBetween(baseline, grown), Is.EqualTo(new[]
        {
            "step 2,000: managed bytes allocated grew from 0 to 24",
            "step 2,000: gen-0 GCs grew from 3 to 4",
            "step 2,000: reserved bytes grew from 4,096 to 8,192",
            "step 2,000: tape length grew from 0 to 1",
            "step 2,000: tensor count inside a step grew from 26 to 27",
        }));
    }

    [Test]
    public void Options_StepsNotBeyondWarmup_Refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new SoakOptions { Steps = 10, WarmupSteps = 50 }.Validate());
        Assert.That(error!.Message, Is.EqualTo("--steps (10) must exceed --warmup (50)."));
    }
}
