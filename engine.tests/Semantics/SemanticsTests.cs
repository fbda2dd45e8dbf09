namespace ArenaGrad.Tests.Semantics;

/// <summary>One test per rule of SEMANTICS.md (PyTorch 1.13.1 behaviour and messages).</summary>
public sealed class SemanticsTests
{
    private Arena _arena = null!;

    [SetUp]
    public void CreateArena() => _arena = new Arena();

    [TearDown]
    public void DisposeArena() => _arena.Dispose();

    // ---- requires_grad ----

    [Test]
    public void Default_EveryFactoryMakesTensorsWithoutGrad()
    {
        Tensor[] made =
        [
            _arena.Zeros([3, 4]), _arena.Ones([2]), _arena.Full([2], 7f), _arena.FromData([1f, 2f], [2]),
            _arena.Range(1, 6), _arena.Arange(5), _arena.Rand([3]), _arena.Randn([3]), _arena.Scalar(2f),
        ];
        foreach (Tensor t in made)
        {
            Assert.That(t.RequiresGrad, Is.False, t.ToString());
            Assert.That(t.IsLeaf, Is.True, t.ToString());
        }
    }

    [Test]
    public void OptInAtCreation_ZerosWithRequiresGrad_IsLeafThatRequiresGrad()
    {
        Tensor t = _arena.Zeros([3, 4], requiresGrad: true);
        Assert.That(t.RequiresGrad, Is.True);
        Assert.That(t.IsLeaf, Is.True);
        Assert.That(t.GradFn, Is.Null);
    }

    [Test]
    public void OptInLater_SetRequiresGrad_TurnsOnAndOffAndReturnsSameTensor()
    {
        Tensor t = _arena.Zeros([2]);
        Assert.That(t.SetRequiresGrad(), Is.EqualTo(t));
        Assert.That(t.RequiresGrad, Is.True);
        t.SetRequiresGrad(false);
        Assert.That(t.RequiresGrad, Is.False);
    }

    [Test]
    public void OnlyLeavesChange_SetRequiresGradFalseOnNonLeaf_ThrowsPyTorchMessage()
    {
        Tensor a = _arena.Ones([2], requiresGrad: true);
        Tensor b = a * 2f;
        var error = Assert.Throws<InvalidOperationException>(() => b.SetRequiresGrad(false));
        Assert.That(error!.Message, Is.EqualTo(
            "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph " +
            "that doesn't require differentiation use var_no_grad = var.detach()."));
        Assert.That(b.RequiresGrad, Is.True, "the refused call changed nothing");
    }

    [Test]
    public void Propagation_OutputRequiresGradIffAnyInputDoes()
    {
        Tensor a = _arena.Ones([2], requiresGrad: true), b = _arena.Ones([2]);
        Assert.That((a + b).RequiresGrad, Is.True);
        Assert.That((b + a).RequiresGrad, Is.True);
        Assert.That((b + b).RequiresGrad, Is.False);
        Assert.That(Functional.Linear(b.Reshape(1, 2), _arena.Ones([3, 2]), _arena.Ones([3], requiresGrad: true)).RequiresGrad, Is.True);
    }

    [Test]
    public void IsLeaf_NoGradTensorsAreLeaves_ResultsThatRequireGradAreNot()
    {
        Tensor a = _arena.Ones([2], requiresGrad: true), b = _arena.Ones([2]);
        Assert.That(a.IsLeaf, Is.True);
        Assert.That((b * 3f).IsLeaf, Is.True);
        Assert.That((a * 3f).IsLeaf, Is.False);
    }

    [Test]
    public void GradFn_NamesPyTorchBackwardNodes()
    {
        Tensor a = _arena.Ones([2, 2], requiresGrad: true);
        Assert.That((a + a).GradFn, Is.EqualTo("AddBackward0"));
        Assert.That((a * a).GradFn, Is.EqualTo("MulBackward0"));
        Assert.That(a.MatMul(a).GradFn, Is.EqualTo("MmBackward0"));
        Assert.That(a.Tanh().GradFn, Is.EqualTo("TanhBackward0"));
        Assert.That(a.Sum().GradFn, Is.EqualTo("SumBackward0"));
        Assert.That(a.Sum(0).GradFn, Is.EqualTo("SumBackward1"));
        Assert.That((2f - a).GradFn, Is.EqualTo("RsubBackward1"));
        Assert.That(a.Square().GradFn, Is.EqualTo("PowBackward0"));
        Assert.That(a.GradFn, Is.Null);
    }

    [Test]
    public void GradFn_MatMulAndLinear_NamedByOperandRanksAsPyTorchDispatches()
    {
        Tensor m23 = _arena.Ones([2, 3], requiresGrad: true), m34 = _arena.Ones([3, 4]), v3 = _arena.Ones([3]);
        Tensor b234 = _arena.Ones([2, 3, 4]), w43 = _arena.Ones([4, 3]), bias = _arena.Ones([4]);
        Assert.That(m23.MatMul(m34).GradFn, Is.EqualTo("MmBackward0"));
        Assert.That(m23.MatMul(v3).GradFn, Is.EqualTo("MvBackward0"));
        Assert.That(m23.Sum(0).MatMul(v3).GradFn, Is.EqualTo("DotBackward0"));
        Assert.That(m23.Sum(0).MatMul(m34).GradFn, Is.EqualTo("SqueezeBackward3"));
        Assert.That(m23.Reshape(1, 2, 3).MatMul(b234).GradFn, Is.EqualTo("UnsafeViewBackward0"));
        Assert.That(Functional.Linear(m23, w43, bias).GradFn, Is.EqualTo("AddmmBackward0"));
        Assert.That(Functional.Linear(m23, w43).GradFn, Is.EqualTo("MmBackward0"));
        Assert.That(Functional.Linear(m23.Reshape(1, 2, 3), w43, bias).GradFn, Is.EqualTo("ViewBackward0"));
        Assert.That(m23.Reshape(3, 2).GradFn, Is.EqualTo("ReshapeAliasBackward0"));
    }

    // ---- backward ----

    [Test]
    public void Backward_OnTensorWithoutGrad_ThrowsPyTorchMessage()
    {
        Tensor z = _arena.Ones([1]) + _arena.Ones([1]);
        var error = Assert.Throws<InvalidOperationException>(() => z.Backward());
        Assert.That(error!.Message, Is.EqualTo("element 0 of tensors does not require grad and does not have a grad_fn"));
    }

    [Test]
    public void Backward_NonScalarWithoutGradient_ThrowsPyTorchMessage()
    {
        Tensor a = _arena.Ones([3], requiresGrad: true);
        Tensor y = a * 2f;
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(error!.Message, Is.EqualTo("grad can be implicitly created only for scalar outputs"));
        Assert.That(a.Grad.HasValue, Is.False, "a refused backward writes nothing");
    }

    [Test]
    public void Backward_NonScalarWithGradient_UsesIt()
    {
        Tensor a = _arena.FromData([1f, 2f, 3f], [3], requiresGrad: true);
        Tensor y = a * a;
        y.Backward(_arena.FromData([1f, 0.5f, 0f], [3]));
        Assert.That(a.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 2f, 0f }));
    }

    [Test]
    public void Backward_GradientCountMismatch_ThrowsPyTorchMessage()
    {
        Tensor a = _arena.Ones([1], requiresGrad: true);
        Tensor y1 = a * 2f, y2 = a * 3f;
        var error = Assert.Throws<ArgumentException>(() => Autograd.Backward([y1, y2], [_arena.Ones([1])]));
        Assert.That(error!.Message, Is.EqualTo("got 2 tensors and 1 gradients"));
    }

    [Test]
    public void Backward_SeveralRoots_SumsTheirGradients()
    {
        Tensor a = _arena.Ones([1], requiresGrad: true);
        Autograd.Backward([a * 2f, a * 3f]);
        Assert.That(a.Grad!.Value.Item(), Is.EqualTo(5f));
    }

    [Test]
    public void Backward_GradientShapeMismatch_ThrowsPyTorchMessage()
    {
        Tensor a = _arena.Ones([3], requiresGrad: true);
        var error = Assert.Throws<ArgumentException>(() => (a * 2f).Backward(_arena.Ones([2])));
        Assert.That(error!.Message, Is.EqualTo(
            "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of torch.Size([3])."));
    }

    [Test]
    public void Backward_SecondTimeOnFreedGraph_ThrowsPyTorchMessage()
    {
        Tensor a = _arena.Ones([2], requiresGrad: true);
        Tensor loss = (a * a).Sum();
        loss.Backward();
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(error!.Message, Does.StartWith("Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed)."));
        Assert.That(error.Message, Does.EndWith(
            "Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."));
        Assert.That(a.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 2f }), "the refused pass added nothing");
    }

    [Test]
    public void RetainGraph_AllowsSecondBackward_AndGradientsAccumulate()
    {
        Tensor a = _arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor loss = (a * a).Sum();
        loss.Backward(retainGraph: true);
        loss.Backward();
        Assert.That(a.Grad!.Value.ToArray(), Is.EqualTo(new[] { 4f, 8f }));
    }

    [Test]
    public void Accumulation_LeafGradAddsAcrossBackwardCalls()
    {
        Tensor a = _arena.FromData([3f], [1], requiresGrad: true);
        (a * 2f).Backward();
        (a * 5f).Backward();
        Assert.That(a.Grad!.Value.Item(), Is.EqualTo(7f));
    }

    [Test]
    public void ZeroGrad_SetsGradToNone_AndNextBackwardStartsAfresh()
    {
        Tensor a = _arena.FromData([3f], [1], requiresGrad: true);
        (a * 2f).Backward();
        a.ZeroGrad();
        Assert.That(a.Grad.HasValue, Is.False);
        (a * 5f).Backward();
        Assert.That(a.Grad!.Value.Item(), Is.EqualTo(5f));
    }

    [Test]
    public void NonLeafGrad_IsNoneUnlessRetained()
    {
        Tensor a = _arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor hidden = a * 3f;
        Tensor kept = hidden.Exp();
        kept.RetainGrad();
        kept.Sum().Backward();
        Assert.That(hidden.Grad.HasValue, Is.False);
        Assert.That(kept.Grad!.Value.ToArray(), Is.EqualTo(new[] { 1f, 1f }));
    }

    [Test]
    public void RetainGrad_OnTensorWithoutGrad_ThrowsPyTorchMessage()
    {
        Tensor t = _arena.Ones([2]);
        var error = Assert.Throws<InvalidOperationException>(t.RetainGrad);
        Assert.That(error!.Message, Is.EqualTo("can't retain_grad on Tensor that has requires_grad=False"));
    }

    [Test]
    public void SkippedSubgraphs_TensorsWithoutGradGetNoGradient()
    {
        Tensor x = _arena.Ones([2]), y = _arena.Ones([2]);
        Tensor z = x * y;
        Tensor w = _arena.Ones([2], requiresGrad: true);
        (w * z).Sum().Backward();
        Assert.That(x.Grad.HasValue || y.Grad.HasValue || z.Grad.HasValue, Is.False);
        Assert.That(w.Grad.HasValue, Is.True);
    }

    [Test]
    public void Reuse_TensorUsedSeveralTimesGetsTheSumOfContributions()
    {
        Tensor a = _arena.FromData([2f], [1], requiresGrad: true);
        (a * a + a * 3f + a).Backward(); // d/da (a² + 3a + a) = 2a + 4
        Assert.That(a.Grad!.Value.Item(), Is.EqualTo(8f));
    }

    [Test]
    public void Broadcasting_GradientIsSummedBackToInputShape()
    {
        Tensor a = _arena.Ones([2, 3], requiresGrad: true);
        Tensor row = _arena.FromData([1f, 2f, 3f], [3], requiresGrad: true);
        Tensor column = _arena.FromData([10f, 20f], [2, 1], requiresGrad: true);
        (a * row + column).Sum().Backward();
        Assert.That(row.Grad!.Value.Shape.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(row.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f }));
        Assert.That(column.Grad!.Value.ToArray(), Is.EqualTo(new[] { 3f, 3f }));
        Assert.That(a.Grad!.Value.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 1f, 2f, 3f }));
    }

    // ---- grad mode ----

    [Test]
    public void NoGrad_ResultsDoNotRequireGrad_LeavesKeepTheirFlag()
    {
        Tensor a = _arena.Ones([2], requiresGrad: true);
        using (_arena.NoGrad())
        {
            Tensor b = a * 2f;
            Assert.That(b.RequiresGrad, Is.False);
            Assert.That(a.RequiresGrad, Is.True);
        }
        Assert.That((a * 2f).RequiresGrad, Is.True, "grad mode is back after the scope");
    }

    [Test]
    public void EnableGradAndSetGradEnabled_NestAndRestore()
    {
        Tensor a = _arena.Ones([2], requiresGrad: true);
        using (_arena.NoGrad())
        {
            using (_arena.EnableGrad())
            {
                Assert.That((a * 2f).RequiresGrad, Is.True);
                using (_arena.SetGradEnabled(false)) Assert.That((a * 2f).RequiresGrad, Is.False);
                Assert.That(_arena.IsGradEnabled, Is.True);
            }
            Assert.That(_arena.IsGradEnabled, Is.False);
        }
        Assert.That(_arena.IsGradEnabled, Is.True);
    }

    [Test]
    public void Detach_SharesValues_NeverRequiresGrad_NotInGraph()
    {
        Tensor a = _arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor b = a * 2f;
        Tensor d = b.Detach();
        Assert.That(d.RequiresGrad, Is.False);
        Assert.That(d.IsLeaf, Is.True);
        Assert.That(d.GradFn, Is.Null);
        Assert.That(d.ToArray(), Is.EqualTo(b.ToArray()));
        using (_arena.NoGrad()) b.AddInPlace(_arena.Ones([2]));
        Assert.That(d.ToArray(), Is.EqualTo(new[] { 3f, 5f }), "detach shares storage");
        Assert.That((d * a).GradFn, Is.EqualTo("MulBackward0"));
    }

    [Test]
    public void InPlace_OnLeafThatRequiresGradWithGradModeOn_ThrowsPyTorchMessage()
    {
        Tensor a = _arena.Ones([2], requiresGrad: true);
        var error = Assert.Throws<InvalidOperationException>(() => a.MulInPlace(2f));
        Assert.That(error!.Message, Is.EqualTo("a leaf Variable that requires grad is being used in an in-place operation."));
        Assert.That(a.ToArray(), Is.EqualTo(new[] { 1f, 1f }));
        using (_arena.NoGrad()) a.MulInPlace(2f); // optimizer updates run with grad mode off
        Assert.That(a.ToArray(), Is.EqualTo(new[] { 2f, 2f }));
    }

    [Test]
    public void InPlace_OnSavedTensor_BackwardThrowsPyTorchMessage()
    {
        Tensor a = _arena.FromData([1f, 2f, 3f], [3], requiresGrad: true);
        Tensor saved = _arena.FromData([4f, 5f, 6f], [3]);
        Tensor loss = (a * saved).Sum();
        saved.MulInPlace(2f);
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(error!.Message, Does.StartWith(
            "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]] is at version 1; expected version 0 instead."));
    }

    [Test]
    public void AnomalyMode_BackwardProducingNaN_NamesTheFunctionAndOutput()
    {
        // torch: a = [1.], b = [inf], both requiring grad; with detect_anomaly(), (a * b * 0).sum().backward() ->
        // "Function 'MulBackward0' returned nan values in its 0th output." (d/da = g * b = 0 * inf)
        Tensor a = _arena.FromData([1f], [1], requiresGrad: true);
        Tensor b = _arena.FromData([float.PositiveInfinity], [1], requiresGrad: true);
        using (_arena.DetectAnomaly())
        {
            Tensor loss = (a * b * 0f).Sum();
            var error = Assert.Throws<GradientAnomalyException>(() => loss.Backward());
            Assert.That(error!.Message.Split('\n')[0], Is.EqualTo("Function 'MulBackward0' returned nan values in its 0th output."));
        }
    }

    // ---- printing ----

    [Test]
    public void Printing_LeafRequiresGradAndNonLeafGradFn_NeverBoth()
    {
        Tensor a = _arena.FromData([1.5f, -2f], [2], requiresGrad: true);
        Assert.That(a.ToString(), Is.EqualTo("tensor([ 1.5000, -2.0000], requires_grad=True)"));
        Assert.That((a + a).ToString(), Is.EqualTo("tensor([ 3., -4.], grad_fn=<AddBackward0>)"));
        Assert.That(_arena.Scalar(3f).ToString(), Is.EqualTo("tensor(3.)"));
    }
}
