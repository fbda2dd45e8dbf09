namespace ArenaGrad.Tests.Reliability;

/// <summary>Anomaly mode (<c>torch.autograd.detect_anomaly</c>): messages checked against PyTorch 1.13.</summary>
public sealed class AnomalyTests
{
    private Arena _arena = null!;

    [SetUp]
    public void CreateArena() => _arena = new Arena();

    [TearDown]
    public void DisposeArena() => _arena.Dispose();

    private static string FirstLine(Exception error) => error.Message.Split('\n')[0];

    [Test]
    public void DetectAnomaly_IsOffByDefault_AndScopeRestoresPreviousMode()
    {
        Assert.That(_arena.IsAnomalyEnabled, Is.False);
        using (_arena.DetectAnomaly())
        {
            Assert.That(_arena.IsAnomalyEnabled, Is.True);
            using (_arena.DetectAnomaly(false)) Assert.That(_arena.IsAnomalyEnabled, Is.False);
            Assert.That(_arena.IsAnomalyEnabled, Is.True);
        }
        Assert.That(_arena.IsAnomalyEnabled, Is.False);
    }

    [Test]
    public void Backward_LogOfZeroTimesZero_ThrowsPyTorchMessageNamingLogBackward()
    {
        // torch: x = tensor([0., 1.]); (x.log() * 0).sum().backward() -> LogBackward0, nan, 0th output
        Tensor x = _arena.FromData([0f, 1f], [2], requiresGrad: true);
        using (_arena.DetectAnomaly())
        {
            Tensor loss = (x.Log() * 0f).Sum();
            var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
            Assert.That(FirstLine(error!), Is.EqualTo("Function 'LogBackward0' returned nan values in its 0th output."));
            Assert.That(error!.FunctionName, Is.EqualTo("LogBackward0"));
            Assert.That(error.OutputIndex, Is.EqualTo(0));
            Assert.That(error.IsNaN, Is.True);
        }
    }

    [Test]
    public void Backward_NanInSecondInputsGradient_ReportsItsPositionAsOutputIndex()
    {
        // torch: a = [1.], b = [inf]; (b * a * 0).sum().backward() -> MulBackward0 ... 1th output (d/da = g * b = 0 * inf)
        Tensor a = _arena.FromData([1f], [1], requiresGrad: true);
        Tensor b = _arena.FromData([float.PositiveInfinity], [1], requiresGrad: true);
        using (_arena.DetectAnomaly())
        {
            Tensor loss = (b * a * 0f).Sum();
            var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
            Assert.That(FirstLine(error!), Is.EqualTo("Function 'MulBackward0' returned nan values in its 1th output."));
        }
    }

    [Test]
    public void Backward_InfiniteGradient_ThrowsInfValuesMessage()
    {
        // d sqrt(x)/dx at 0 is +inf. PyTorch 1.13 only stops at NaN; this mode stops at infinities too.
        Tensor x = _arena.FromData([0f, 4f], [2], requiresGrad: true);
        using (_arena.DetectAnomaly())
        {
            Tensor loss = x.Sqrt().Sum();
            var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
            Assert.That(FirstLine(error!), Is.EqualTo("Function 'SqrtBackward0' returned inf values in its 0th output."));
            Assert.That(error!.IsNaN, Is.False);
        }
    }

    [Test]
    public void Backward_DivideByZero_ReportsDivBackwardWithInfinity()
    {
        Tensor a = _arena.FromData([1f], [1], requiresGrad: true);
        Tensor b = _arena.FromData([0f], [1]);
        using (_arena.DetectAnomaly())
        {
            Tensor loss = (a / b).Sum();
            var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
            Assert.That(FirstLine(error!), Is.EqualTo("Function 'DivBackward0' returned inf values in its 0th output."));
        }
    }

    [Test]
    public void Backward_LinearWithBias_NumbersOutputsAsPyTorchsAddmm()
    {
        // torch: linear(x, w, b) with an inf in x (not requiring grad) and the output times 0:
        // "Function 'AddmmBackward0' returned nan values in its 2th output." (dW = gᵀ x = 0 * inf)
        Tensor x = _arena.FromData([float.PositiveInfinity, 1f], [1, 2]);
        Tensor w = _arena.Ones([3, 2], requiresGrad: true);
        Tensor bias = _arena.Ones([3], requiresGrad: true);
        using (_arena.DetectAnomaly())
        {
            Tensor loss = (Functional.Linear(x, w, bias) * 0f).Sum();
            var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
            Assert.That(FirstLine(error!), Is.EqualTo("Function 'AddmmBackward0' returned nan values in its 2th output."));
        }
    }

    [Test]
    public void Backward_CatWithNanInSecondSlice_ReportsFirstOutputIndex()
    {
        // torch: cat([a, b]).backward(tensor([1, 1, nan, 1])) -> "Function 'CatBackward0' returned nan values in its 1th output."
        Tensor a = _arena.Ones([2], requiresGrad: true);
        Tensor b = _arena.Ones([2], requiresGrad: true);
        Tensor seed = _arena.FromData([1f, 1f, float.NaN, 1f], [4]);
        using (_arena.DetectAnomaly())
        {
            Tensor y = Functional.Cat([a, b]);
            var error = Assert.Throws<GradientAnomalyException>(() => y.Backward(seed));
            Assert.That(FirstLine(error!), Is.EqualTo("Function 'CatBackward0' returned nan values in its 1th output."));
        }
    }

    [Test]
    public void Backward_OpRecordedUnderAnomalyMode_MessageNamesTheRecordingCall()
    {
        Tensor x = _arena.FromData([0f], [1], requiresGrad: true);
        using (_arena.DetectAnomaly())
        {
            Tensor loss = RecordLogTimesZero(x);
            var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
            Assert.That(error!.ForwardStackTrace, Does.Contain(nameof(RecordLogTimesZero)));
            Assert.That(error.ForwardStackTrace, Does.Not.Contain("ArenaGrad.Arena.Record"), "engine frames are left out");
            Assert.That(error.Message, Does.Contain("Error detected in LogBackward0."));
            Assert.That(error.Message, Does.Contain(nameof(RecordLogTimesZero)));
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Tensor RecordLogTimesZero(Tensor x) => (x.Log() * 0f).Sum();

    [Test]
    public void Backward_OpRecordedWithModeOff_SaysNoForwardInformation()
    {
        Tensor x = _arena.FromData([0f], [1], requiresGrad: true);
        Tensor loss = (x.Log() * 0f).Sum();
        using (_arena.DetectAnomaly())
        {
            var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
            Assert.That(error!.ForwardStackTrace, Is.Null);
            Assert.That(error.Message, Does.EndWith(
                "No forward pass information available. Enable detect anomaly during forward pass for more information."));
        }
    }

    [Test]
    public void Backward_TapeIndexReusedAfterScopeWithModeOff_DoesNotShowTheReleasedOpsCallSite()
    {
        Tensor x = _arena.FromData([0f], [1], requiresGrad: true);
        using (_arena.Scope())
        using (_arena.DetectAnomaly())
            _ = RecordLogTimesZero(x); // call sites kept for tape indices 0..2, then released with the scope
        using (_arena.Scope())
        {
            Tensor loss = (x.Log() * 0f).Sum(); // same tape indices, recorded with the mode off
            using (_arena.DetectAnomaly())
            {
                var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
                Assert.That(error!.ForwardStackTrace, Is.Null);
            }
        }
    }

    [Test]
    public void Backward_CleanProgram_GivesSameGradientsWithModeOnAsOff()
    {
        float[] Run(bool anomaly)
        {
            using var arena = new Arena(new ArenaOptions { Seed = 3 });
            Tensor w = arena.Randn([4, 3], requiresGrad: true);
            Tensor x = arena.Randn([5, 3]);
            using (arena.DetectAnomaly(anomaly))
            {
                Tensor h = Functional.Linear(x, w).Tanh();
                Functional.CrossEntropy(Functional.Cat([h, h.Exp()], 1), [0, 1, 2, 3, 7]).Backward();
            }
            return w.Grad!.Value.ToArray();
        }
        Assert.That(Run(anomaly: true), Is.EqualTo(Run(anomaly: false)));
    }

    [Test]
    public void Backward_ModeOff_LetsNanThroughWithoutThrowing()
    {
        Tensor x = _arena.FromData([0f, 1f], [2], requiresGrad: true);
        (x.Log() * 0f).Sum().Backward();
        Assert.That(float.IsNaN(x.Grad!.Value.ToArray()[0]), Is.True);
    }

    [Test]
    public void Backward_LeafGradientAlreadyNanFromEarlierPass_IsNotBlamedOnCleanRule()
    {
        Tensor x = _arena.FromData([0f, 1f], [2], requiresGrad: true);
        (x.Log() * 0f).Sum().Backward(); // mode off: x.grad = [nan, 0]
        using (_arena.DetectAnomaly())
            Assert.DoesNotThrow(() => (x * 2f).Sum().Backward());
        Assert.That(x.Grad!.Value.ToArray()[1], Is.EqualTo(2f));
    }

    [Test]
    public void Backward_AfterAnomaly_ModeOffAgainAndArenaUsable()
    {
        Tensor x = _arena.FromData([0f], [1], requiresGrad: true);
        using (_arena.DetectAnomaly())
        using (_arena.Scope())
            Assert.Throws<GradientAnomalyException>(() => (x.Log() * 0f).Sum().Backward());
        Assert.That(_arena.IsAnomalyEnabled, Is.False);
        x.ZeroGrad();
        (x * 3f).Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 3f }));
    }
}
