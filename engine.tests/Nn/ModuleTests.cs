using ArenaGrad.Nn;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Nn;

/// <summary>Module behaviour pinned against PyTorch 1.13: names, state_dict loading and its messages, modes, freezing, printing.</summary>
public sealed class ModuleTests
{
    private static Sequential Reference(Arena arena) =>
        new(new Linear(arena, 5, 16), new Tanh(), new Linear(arena, 16, 3));

    [Test]
    public void NamedParameters_OfSequential_UsePyTorchsIndexNames()
    {
        using var arena = new Arena();
        Sequential model = Reference(arena);
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
        Assert.That(model.Parameters(), Is.EqualTo(model.NamedParameters().Select(p => p.Value)));
        Assert.That(model.StateDict(), Is.EqualTo(model.NamedParameters()));
    }

    [Test]
    public void NamedParameters_OfNestedSequential_PrefixTheChildIndex()
    {
        using var arena = new Arena();
        var model = new Sequential(new Linear(arena, 2, 2), new Sequential(new Linear(arena, 2, 3), new Relu(), new Dropout(0.5f)), new LeakyRelu());
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "1.0.weight", "1.0.bias" }));
    }

    [Test]
    public void NamedParameters_OfLinearWithoutBias_ListOnlyTheWeight()
    {
        using var arena = new Arena();
        var layer = new Linear(arena, 3, 4, bias: false);
        Assert.That(layer.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
        Assert.That(layer.Bias, Is.Null);
    }

    [Test]
    public void NamedParameters_SharedLayerTwice_IsListedOnce()
    {
        using var arena = new Arena();
        var shared = new Linear(arena, 4, 4);
        var model = new Sequential(shared, new Tanh(), shared);
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias" }));
    }

    [Test]
    public void NamedParametersAndParameters_AfterTheFirstCall_ReturnTheSameListsWithoutAllocating()
    {
        using var arena = new Arena();
        Sequential model = Reference(arena);
        IReadOnlyList<NamedTensor> named = model.NamedParameters();
        IReadOnlyList<Tensor> tensors = model.Parameters();
        bool same = true;
        Assert.That(() => { same &= ReferenceEquals(model.NamedParameters(), named) & ReferenceEquals(model.Parameters(), tensors); },
            Allocates.Nothing);
        Assert.That(same, Is.True);
    }

    [Test]
    public void LoadStateDict_CopiesEveryValueIn()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        Sequential source = Reference(arena), target = Reference(arena);
        target.LoadStateDict(source.StateDict().ToDictionary(p => p.Name, p => p.Value));
        for (int i = 0; i < 4; i++)
        {
            Assert.That(target.Parameters()[i].ToArray(), Is.EqualTo(source.Parameters()[i].ToArray()));
            Assert.That(target.Parameters()[i].Equals(source.Parameters()[i]), Is.False, "copied, not shared");
        }
    }

    [Test]
    public void LoadStateDict_FromAnotherArena_CopiesValues()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        using var other = new Arena(new ArenaOptions { Seed = 2 });
        Sequential target = Reference(arena), source = Reference(other);
        target.LoadStateDict(source.StateDict().ToDictionary(p => p.Name, p => p.Value));
        Assert.That(target.Parameters()[2].ToArray(), Is.EqualTo(source.Parameters()[2].ToArray()));
    }

    [Test]
    public void LoadStateDict_MissingUnexpectedAndMismatched_ThrowsPyTorchsMessageAndCopiesNothing()
    {
        using var arena = new Arena();
        Sequential model = Reference(arena);
        float[] before = model.Parameters()[1].ToArray();
        var state = model.StateDict().ToDictionary(p => p.Name, p => p.Value);
        state.Remove("0.weight");
        state["0.bias"] = arena.Ones([16]);
        state["extra"] = arena.Zeros([1]);
        state["x.y"] = arena.Zeros([1]);
        state["2.bias"] = arena.Zeros([4]);
        var error = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state))!;
        Assert.That(error.Message, Is.EqualTo(
            "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"0.weight\". \n\t" +
            "Unexpected key(s) in state_dict: \"extra\", \"x.y\". \n\t" +
            "size mismatch for 2.bias: copying a param with shape torch.Size([4]) from checkpoint, the shape in current model is torch.Size([3])."));
        Assert.That(model.Parameters()[1].ToArray(), Is.EqualTo(before), "nothing copied when anything is wrong");
    }

    [Test]
    public void LoadStateDict_ShapeMismatch_ThrowsPyTorchsSizeMismatchMessage()
    {
        using var arena = new Arena();
        Sequential model = Reference(arena);
        var state = model.StateDict().ToDictionary(p => p.Name, p => p.Value);
        state["0.weight"] = arena.Zeros([16, 6]);
        var error = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state))!;
        Assert.That(error.Message, Is.EqualTo(
            "Error(s) in loading state_dict for Sequential:\n\tsize mismatch for 0.weight: copying a param with shape " +
            "torch.Size([16, 6]) from checkpoint, the shape in current model is torch.Size([16, 5])."));
    }

    [Test]
    public void LoadStateDict_AfterForwardSavedTheWeights_BackwardReportsTheInPlaceChange()
    {
        using var arena = new Arena();
        var layer = new Linear(arena, 2, 2);
        var other = new Linear(arena, 2, 2);
        Tensor loss = layer.Forward(arena.Ones([1, 2], requiresGrad: true)).Sum();
        layer.LoadStateDict(other.StateDict().ToDictionary(p => p.Name, p => p.Value));
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward())!;
        Assert.That(error.Message, Does.StartWith("one of the variables needed for gradient computation has been modified by an inplace operation"));
    }

    [Test]
    public void Linear_Init_IsUniformWithinOneOverSqrtFanInFromTheArenasGenerator()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 11 });
        var layer = new Linear(arena, 64, 100);
        float bound = 1f / MathF.Sqrt(64);
        float[] weight = layer.Weight.ToArray(), bias = layer.Bias!.Value.ToArray();
        Assert.That(weight.All(w => w >= -bound && w < bound) && bias.All(b => b >= -bound && b < bound), Is.True);
        Assert.That(weight.Max(), Is.GreaterThan(0.9f * bound), "spread over the whole interval");
        Assert.That(weight.Min(), Is.LessThan(-0.9f * bound));
        Assert.That(layer.Weight.RequiresGrad && layer.Bias!.Value.RequiresGrad, Is.True);
        Assert.That(layer.Weight.Shape.ToArray(), Is.EqualTo(new[] { 100, 64 }));

        using var again = new Arena(new ArenaOptions { Seed = 11 });
        Tensor expectedWeight = again.Uniform([100, 64], -bound, bound), expectedBias = again.Uniform([100], -bound, bound);
        Assert.That(weight, Is.EqualTo(expectedWeight.ToArray()), "weight first, from the seeded generator");
        Assert.That(bias, Is.EqualTo(expectedBias.ToArray()), "then bias");
    }

    [Test]
    public void Linear_ConstructedInsideAScope_ThrowsSayingParametersMustOutliveSteps()
    {
        using var arena = new Arena();
        using (arena.Scope())
        {
            var error = Assert.Throws<InvalidOperationException>(() => _ = new Linear(arena, 2, 3))!;
            Assert.That(error.Message, Does.Contain("an arena scope is open"));
            Assert.Throws<InvalidOperationException>(() => _ = new Mlp(arena, [2, 3]));
        }
    }

    [Test]
    public void Linear_NegativeSize_ThrowsPyTorchsMessage()
    {
        using var arena = new Arena();
        var error = Assert.Throws<ArgumentException>(() => _ = new Linear(arena, -1, 5))!;
        Assert.That(error.Message, Does.StartWith("Trying to create tensor with negative dimension -1: [5, -1]"));
    }

    [Test]
    public void RequiresGradFalse_FreezesEveryParameter_BackwardComputesNoGradientForThem()
    {
        using var arena = new Arena();
        var extractor = new Mlp(arena, [4, 8, 8]);
        var head = new Linear(arena, 8, 2);
        var model = new Sequential(extractor, new Tanh(), head);
        Assert.That(extractor.RequiresGrad(false), Is.SameAs(extractor));
        Tensor input = arena.Randn([3, 4]);
        Functional.CrossEntropy(model.Forward(input), [0, 1, 1]).Backward();
        Assert.That(extractor.Parameters().All(p => !p.RequiresGrad && p.Grad is null), Is.True);
        Assert.That(head.Parameters().All(p => p.Grad is not null), Is.True);

        extractor.RequiresGrad(true);
        head.Parameters()[0].ZeroGrad();
        Functional.CrossEntropy(model.Forward(input), [0, 1, 1]).Backward();
        Assert.That(extractor.Parameters().All(p => p.RequiresGrad && p.Grad is not null), Is.True);
    }

    [Test]
    public void TrainAndEval_ReachEveryDescendant()
    {
        using var arena = new Arena();
        var dropout = new Dropout(0.5f);
        var model = new Sequential(new Linear(arena, 2, 2), new Sequential(dropout));
        Assert.That(model.IsTraining && dropout.IsTraining, Is.True, "modules start in training mode");
        Assert.That(model.Eval(), Is.SameAs(model));
        Assert.That(model.IsTraining || dropout.IsTraining, Is.False);
        model.Train();
        Assert.That(dropout.IsTraining, Is.True);
    }

    [Test]
    public void RegisterParameter_AfterTheListWasBuilt_Throws()
    {
        using var arena = new Arena();
        var custom = new Custom(arena);
        var parent = new Sequential(custom);
        _ = parent.Parameters();
        Assert.Throws<InvalidOperationException>(() => custom.AddLater(arena));
        Assert.That(custom.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "scale", "inner.weight", "inner.bias" }));
    }

    [Test]
    public void RegisterParameter_BadNames_ThrowPyTorchsMessages()
    {
        using var arena = new Arena();
        var custom = new Custom(arena);
        Assert.That(Assert.Throws<ArgumentException>(() => custom.Add("a.b", arena.Zeros([1])))!.Message, Does.StartWith("parameter name can't contain \".\""));
        Assert.That(Assert.Throws<ArgumentException>(() => custom.Add("", arena.Zeros([1])))!.Message, Does.StartWith("parameter name can't be empty string \"\""));
        Assert.That(Assert.Throws<ArgumentException>(() => custom.Add("scale", arena.Zeros([1])))!.Message, Does.StartWith("attribute 'scale' already exists"));
    }

    private sealed class Custom : Module
    {
        private readonly Tensor _scale;
        private readonly Linear _inner;

        public Custom(Arena arena)
        {
            _scale = RegisterParameter("scale", arena.Ones([1], requiresGrad: true));
            _inner = RegisterModule("inner", new Linear(arena, 2, 2));
        }

        public void AddLater(Arena arena) => RegisterParameter("late", arena.Ones([1], requiresGrad: true));

        public void Add(string name, Tensor tensor) => RegisterParameter(name, tensor);

        public override Tensor Forward(Tensor input) => _inner.Forward(input) * _scale;
    }

    [Test]
    public void ToString_PrintsAsPyTorchsRepr()
    {
        using var arena = new Arena();
        var model = new Sequential(new Linear(arena, 2, 2), new Sequential(new Linear(arena, 2, 3), new Relu(), new Dropout(0.5f)),
            new LeakyRelu(), new Softmax(1), new Flatten(), new Sigmoid());
        Assert.That(model.ToString(), Is.EqualTo(
            "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): Sequential(\n" +
            "    (0): Linear(in_features=2, out_features=3, bias=True)\n    (1): ReLU()\n    (2): Dropout(p=0.5, inplace=False)\n  )\n" +
            "  (2): LeakyReLU(negative_slope=0.01)\n  (3): Softmax(dim=1)\n  (4): Flatten(start_dim=1, end_dim=-1)\n  (5): Sigmoid()\n)"));
        Assert.That(new Linear(arena, 3, 4, bias: false).ToString(), Is.EqualTo("Linear(in_features=3, out_features=4, bias=False)"));
    }
}
