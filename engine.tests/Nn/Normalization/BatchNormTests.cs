using System.Text.Json;
using ArenaGrad.Nn;
using static ArenaGrad.Tests.Nn.Normalization.NormGolden;

namespace ArenaGrad.Tests.Nn.Normalization;

/// <summary>BatchNorm1d and BatchNorm2d against PyTorch 1.13 (Golden/layers/norm, make_layers_norm.py): outputs, input and
/// parameter gradients, running statistics and num_batches_tracked over several steps in Train and Eval, second derivatives,
/// reprs and error messages; the fused backward against the graph rule; captured replays.</summary>
public sealed class BatchNormTests
{
    private static IEnumerable<TestCaseData> BatchNormCases() => Cases("batchnorm");

    private static BatchNormBase Make(Arena arena, JsonElement c)
    {
        int features = c.GetProperty("num_features").GetInt32();
        float eps = (float)c.GetProperty("eps").GetDouble(), momentum = (float)c.GetProperty("momentum").GetDouble();
        bool affine = c.GetProperty("affine").GetBoolean(), track = c.GetProperty("track_running_stats").GetBoolean();
        BatchNormBase module = c.GetProperty("kind").GetString() == "1d"
            ? new BatchNorm1d(arena, features, eps, momentum, affine, track)
            : new BatchNorm2d(arena, features, eps, momentum, affine, track);
        var state = new Dictionary<string, Tensor>();
        foreach (JsonProperty w in c.GetProperty("weights").EnumerateObject()) state[w.Name] = Float(arena, w.Value);
        foreach (JsonProperty b in c.GetProperty("buffers").EnumerateObject())
            state[b.Name] = b.Name == "num_batches_tracked" ? Int(arena, b.Value) : Float(arena, b.Value);
        module.LoadStateDict(state);
        return module;
    }

    [TestCaseSource(nameof(BatchNormCases))]
    public void Steps_MatchPyTorch_OutputsGradientsAndBuffers(string name)
    {
        JsonElement c = Case("batchnorm", name);
        using var arena = new Arena();
        BatchNormBase module = Make(arena, c);
        Assert.That(module.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()));
        int index = 0;
        foreach (JsonElement step in c.GetProperty("steps").EnumerateArray())
        {
            string at = $"step {index++} ({step.GetProperty("mode").GetString()})";
            module.Train(step.GetProperty("mode").GetString() == "train");
            module.ZeroGrad();
            Tensor x = Float(arena, step.GetProperty("input"), requiresGrad: true);
            Tensor y = module.Forward(x);
            Close(y, step.GetProperty("output"), 1e-5, 1e-4, at + " output");
            Assert.That(y.GradFn, Is.EqualTo(step.GetProperty("grad_fn").GetString()));
            (y * Float(arena, step.GetProperty("upstream"))).Sum().Backward();
            Close(x.Grad!.Value, step.GetProperty("grad_input"), 1e-4, 1e-4, at + " grad input");
            foreach (JsonProperty g in step.GetProperty("grads").EnumerateObject())
                Close(module.NamedParameters().Single(p => p.Name == g.Name).Value.Grad!.Value, g.Value, 1e-4, 1e-4, $"{at} grad {g.Name}");
            foreach (JsonProperty b in step.GetProperty("buffers_after").EnumerateObject())
            {
                Tensor buffer = module.NamedBuffers().Single(p => p.Name == b.Name).Value;
                if (b.Name == "num_batches_tracked") Assert.That(buffer.ToIntArray(), Is.EqualTo(Ints(b.Value)), at + " num_batches_tracked");
                else Close(buffer, b.Value, 1e-6, 1e-5, $"{at} {b.Name}");
            }
            Assert.That(module.NamedBuffers().Select(b => b.Name), Is.EquivalentTo(step.GetProperty("buffers_after").EnumerateObject().Select(b => b.Name)));
            if (step.TryGetProperty("double", out JsonElement twice)) SecondDerivatives(arena, module, step, twice, at);
        }
    }

    /// <summary>The gradient of sum(dx·v) with respect to x and the parameters, dx from a create-graph pass of sum(y·u):
    /// the graph rule differentiated again.</summary>
    private static void SecondDerivatives(Arena arena, BatchNormBase module, JsonElement step, JsonElement twice, string at)
    {
        Tensor x = Float(arena, step.GetProperty("input"), requiresGrad: true);
        Tensor y = module.IsTraining
            ? Functional.BatchNorm(x, null, null, module.Weight, module.Bias, training: true, momentum: 0f, eps: module.Eps)
            : module.Forward(x);
        Tensor dx = Autograd.Grad((y * Float(arena, step.GetProperty("upstream"))).Sum(), x, createGraph: true);
        var wrt = new List<Tensor> { x };
        wrt.AddRange(module.Parameters());
        Tensor?[] seconds = Autograd.Grad([(dx * Float(arena, twice.GetProperty("v"))).Sum()], wrt.ToArray(), allowUnused: true);
        Close(seconds[0]?.ToArray() ?? new float[x.Count], Data(twice.GetProperty("grad_x")), 1e-4, 1e-3, at + " d2/dx");
        int k = 1;
        foreach (NamedTensor p in module.NamedParameters())
            Close(seconds[k++]?.ToArray() ?? new float[p.Value.Count], Data(twice.GetProperty("grads").GetProperty(p.Name)), 1e-4, 1e-3, $"{at} d2/d{p.Name}");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void FusedBackward_AgreesWithTheGraphRule(bool training)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([5, 3, 4], requiresGrad: true), w = arena.Randn([3], requiresGrad: true), b = arena.Randn([3], requiresGrad: true);
        Tensor mean = arena.Randn([3]), variance = arena.Ones([3]) * 1.5f, u = arena.Randn([5, 3, 4]);
        Tensor loss = (Functional.BatchNorm(x, mean, variance, w, b, training) * u).Sum();
        Tensor?[] graph = Autograd.Grad([loss], [x, w, b], retainGraph: true, createGraph: true);
        loss.Backward();
        Close(x.Grad!.Value.ToArray(), graph[0]!.Value.ToArray(), 1e-5, 1e-4, "dx");
        Close(w.Grad!.Value.ToArray(), graph[1]!.Value.ToArray(), 1e-5, 1e-4, "dw");
        Close(b.Grad!.Value.ToArray(), graph[2]!.Value.ToArray(), 1e-5, 1e-4, "db");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void GradCheck_PassesForInputWeightAndBias(bool training)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 11 });
        Tensor mean = arena.Randn([2]) * 0.1f, variance = arena.Ones([2]) * 0.8f, u = arena.Randn([3, 2, 2]);
        Tensor[] inputs = [arena.Randn([3, 2, 2], requiresGrad: true), arena.Randn([2], requiresGrad: true), arena.Randn([2], requiresGrad: true)];
        GradCheckResult result = Autograd.GradCheck(
            v => (Functional.BatchNorm(v[0], training ? null : mean, training ? null : variance, v[1], v[2], training) * u).Sum(), inputs);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void Errors_AreTorchsAndLeaveTheBuffersAsTheyWere()
    {
        JsonElement errors = Root.GetProperty("errors");
        using var arena = new Arena();
        var one = new BatchNorm1d(arena, 3);
        var two = new BatchNorm2d(arena, 3);
        Assert.That(Assert.Throws<ArgumentException>(() => one.Forward(arena.Ones([2, 3, 4, 5])))!.Message, Does.StartWith(errors.GetProperty("bn1d_4d").GetString()!));
        Assert.That(Assert.Throws<ArgumentException>(() => two.Forward(arena.Ones([2, 3, 4])))!.Message, Does.StartWith(errors.GetProperty("bn2d_3d").GetString()!));
        Assert.That(Assert.Throws<ArgumentException>(() => one.Forward(arena.Ones([1, 3])))!.Message, Does.StartWith(errors.GetProperty("bn1d_one_value").GetString()!));
        Assert.That(Assert.Throws<ArgumentException>(() => two.Forward(arena.Ones([1, 3, 1, 1])))!.Message, Does.StartWith(errors.GetProperty("bn2d_one_value").GetString()!));
        Assert.That(Assert.Throws<ArgumentException>(() => new BatchNorm1d(arena, 4).Forward(arena.Ones([2, 3])))!.Message,
            Does.StartWith(errors.GetProperty("bn1d_channels").GetString()!.Replace("4 elements not 3", "3 elements not 4")));
        Assert.That(one.NumBatchesTracked!.Value.ToIntArray(), Is.EqualTo(new[] { 0 }), "a refused forward counts nothing");
        Assert.That(one.RunningMean!.Value.ToArray(), Is.EqualTo(new float[3]));
        // in eval mode one value per channel is fine, as in PyTorch
        one.Eval();
        Assert.That(one.Forward(arena.Ones([1, 3])).ToArray(), Has.All.EqualTo(1f / MathF.Sqrt(1f + 1e-5f)).Within(1e-6));
    }

    [Test]
    public void Buffers_AreNotParameters_DoNotRequireGrad_AndOptimizersNeverSeeThem()
    {
        using var arena = new Arena();
        var layer = new BatchNorm2d(arena, 4);
        Assert.That(layer.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias" }));
        Assert.That(layer.NamedBuffers().Select(p => p.Name), Is.EqualTo(new[] { "running_mean", "running_var", "num_batches_tracked" }));
        Assert.That(layer.Buffers().All(b => !b.RequiresGrad), Is.True);
        Assert.That(layer.NumBatchesTracked!.Value.DType, Is.EqualTo(DType.Int32));
        Assert.That(layer.NumBatchesTracked!.Value.Shape.ToArray(), Is.Empty, "0-d, as PyTorch's tensor(0)");
        layer.RequiresGrad(false);
        Assert.That(layer.Buffers().All(b => !b.RequiresGrad), Is.True);
        var noTracking = new BatchNorm1d(arena, 2, affine: false, trackRunningStats: false);
        Assert.That(noTracking.StateDict(), Is.Empty);
        Assert.That(noTracking.ToString(), Is.EqualTo("BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"));
    }

    [Test]
    public void CapturedReplay_UpdatesRunningStatisticsAndCounter_AsEagerSteps()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        var captured = new BatchNorm1d(arena, 3, momentum: 0.2f);
        var eager = new BatchNorm1d(arena, 3, momentum: 0.2f);
        Tensor[] batches = [arena.Randn([4, 3, 2]), arena.Randn([4, 3, 2]), arena.Randn([4, 3, 2])];
        using (arena.Scope())
        {
            using var step = arena.Capture(batches[0], x => captured.Forward(x));
            Tensor first = eager.Forward(batches[0]);
            Assert.That(step.Output.ToArray(), Is.EqualTo(first.ToArray()));
            for (int i = 1; i < batches.Length; i++)
            {
                Tensor replayed = step.Run(batches[i]);
                Assert.That(replayed.ToArray(), Is.EqualTo(eager.Forward(batches[i]).ToArray()), $"replay {i}");
            }
        }
        Assert.That(captured.NumBatchesTracked!.Value.ToIntArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(captured.RunningMean!.Value.ToArray(), Is.EqualTo(eager.RunningMean!.Value.ToArray()));
        Assert.That(captured.RunningVar!.Value.ToArray(), Is.EqualTo(eager.RunningVar!.Value.ToArray()));
        captured.Eval();
        eager.Eval();
        using (arena.Scope())
        {
            using var step = arena.Capture(batches[0], x => captured.Forward(x));
            Assert.That(step.Run(batches[1]).ToArray(), Is.EqualTo(eager.Forward(batches[1]).ToArray()));
        }
        Assert.That(captured.NumBatchesTracked!.Value.ToIntArray(), Is.EqualTo(new[] { 3 }), "eval does not count");
    }

    [Test]
    public void CapturedTrainingStep_MatchesEagerSteps_WeightsAndRunningStatistics()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        Sequential Make() => new(new Linear(arena, 3, 4), new BatchNorm1d(arena, 4), new Tanh(), new Linear(arena, 4, 1));
        Sequential captured = Make(), eager = Make();
        eager.LoadStateDict(captured.StateDict().ToDictionary(e => e.Name, e => e.Value));
        var capturedSgd = new ArenaGrad.Optim.Sgd(captured.Parameters(), 0.1f);
        var eagerSgd = new ArenaGrad.Optim.Sgd(eager.Parameters(), 0.1f);
        Tensor[] batches = [arena.Randn([6, 3]), arena.Randn([6, 3]), arena.Randn([6, 3])];
        float EagerStep(Tensor batch)
        {
            using (arena.Scope())
            {
                eagerSgd.ZeroGrad();
                Tensor l = eager.Forward(batch).Square().Mean();
                float value = l.ToArray()[0];
                l.Backward();
                eagerSgd.Step();
                return value;
            }
        }
        using (arena.Scope())
        {
            // capturing runs one step eagerly (forward, backward, Step), as the eager twin's first step
            using var step = arena.CaptureTraining(batches[0], x => captured.Forward(x).Square().Mean(), capturedSgd);
            Assert.That(step.Output.ToArray()[0], Is.EqualTo(EagerStep(batches[0])), "the captured step");
            for (int i = 0; i < batches.Length; i++)
                Assert.That(step.Run(batches[i]).ToArray()[0], Is.EqualTo(EagerStep(batches[i])), $"replay {i}");
        }
        foreach ((NamedTensor a, NamedTensor b) in captured.StateDict().Zip(eager.StateDict()))
            if (a.Value.DType == DType.Int32) Assert.That(a.Value.ToIntArray(), Is.EqualTo(b.Value.ToIntArray()), a.Name);
            else Assert.That(a.Value.ToArray(), Is.EqualTo(b.Value.ToArray()), a.Name);
        Assert.That(captured.StateDict().Single(e => e.Name == "1.num_batches_tracked").Value.ToIntArray(), Is.EqualTo(new[] { 4 }),
            "the capture's own forward counts, as an eager first step would");
    }

    [Test]
    public void NegativeSizes_ThrowTorchsMessage_AndMakeNoTensor()
    {
        using var arena = new Arena();
        int tensors = arena.TensorCount;
        Assert.That(Assert.Throws<ArgumentException>(() => new BatchNorm1d(arena, -1))!.Message,
            Does.StartWith("Trying to create tensor with negative dimension -1: [-1]"));
        Assert.That(Assert.Throws<ArgumentException>(() => new ArenaGrad.Nn.Embedding(arena, -2, 3))!.Message,
            Does.StartWith("Trying to create tensor with negative dimension -2: [-2, 3]"));
        Assert.That(Assert.Throws<ArgumentException>(() => new ArenaGrad.Nn.Embedding(arena, 2, -3))!.Message,
            Does.StartWith("Trying to create tensor with negative dimension -3: [2, -3]"));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        using (arena.Scope())
            Assert.Throws<InvalidOperationException>(() => new BatchNorm2d(arena, 2), "modules are made outside scopes");
    }

    [Test]
    public void NoGrad_RecordsNothing_AndStillUpdatesTheRunningStatistics()
    {
        using var arena = new Arena();
        var layer = new BatchNorm1d(arena, 2);
        int tape = arena.TapeLength;
        using (arena.NoGrad())
        {
            Tensor y = layer.Forward(arena.FromData([1f, 2f, 3f, 6f], [2, 2]));
            Assert.That(y.RequiresGrad, Is.False);
        }
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
        Assert.That(layer.RunningMean!.Value.ToArray(), Is.EqualTo(new[] { 0.2f, 0.4f }).Within(1e-7));
        Assert.That(layer.RunningVar!.Value.ToArray(), Is.EqualTo(new[] { 0.9f + 0.1f * 2f, 0.9f + 0.1f * 8f }).Within(1e-6));
        Assert.That(layer.NumBatchesTracked!.Value.ToIntArray(), Is.EqualTo(new[] { 1 }));
    }
}
