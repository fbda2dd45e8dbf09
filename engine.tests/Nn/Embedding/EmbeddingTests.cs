using System.Text.Json;
using static ArenaGrad.Tests.Nn.Normalization.NormGolden;

namespace ArenaGrad.Tests.Nn.Embedding;

/// <summary>nn.Embedding against PyTorch 1.13 (Golden/layers/norm, make_layers_norm.py): outputs and the weight's gradient
/// for index tensors of rank 0 to 3, repeated indices and padding indices (negative ones wrapped); repr, init, errors, the
/// graph rule and captured replays.</summary>
public sealed class EmbeddingTests
{
    private static IEnumerable<TestCaseData> EmbeddingCases() => Cases("embedding");

    [TestCaseSource(nameof(EmbeddingCases))]
    public void Forward_AndWeightGradient_MatchPyTorch(string name)
    {
        JsonElement c = Case("embedding", name);
        using var arena = new Arena();
        int? padding = c.GetProperty("padding_idx").ValueKind == JsonValueKind.Null ? null : c.GetProperty("padding_idx").GetInt32();
        var layer = new ArenaGrad.Nn.Embedding(arena, c.GetProperty("num_embeddings").GetInt32(), c.GetProperty("embedding_dim").GetInt32(), padding);
        Assert.That(layer.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()));
        layer.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Float(arena, c.GetProperty("weights").GetProperty("weight")) });
        Tensor y = layer.Forward(Int(arena, c.GetProperty("index")));
        Close(y, c.GetProperty("output"), 0, 0, "output"); // a copy: exact
        Assert.That(y.GradFn, Is.EqualTo(c.GetProperty("grad_fn").GetString()));
        Tensor u = Float(arena, c.GetProperty("upstream"));
        Tensor loss = (y * u).Sum();
        Tensor graph = Autograd.Grad(loss, layer.Weight, createGraph: true);
        loss.Backward();
        Close(layer.Weight.Grad!.Value, c.GetProperty("grads").GetProperty("weight"), 1e-6, 1e-6, "grad weight");
        Close(graph, c.GetProperty("grads").GetProperty("weight"), 1e-6, 1e-6, "graph rule grad weight");
    }

    [Test]
    public void Init_IsStandardNormal_WithThePaddingRowZeroed_AndNegativePaddingWraps()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var layer = new ArenaGrad.Nn.Embedding(arena, 200, 50, paddingIdx: -3);
        Assert.That(layer.PaddingIdx, Is.EqualTo(197));
        Assert.That(layer.ToString(), Is.EqualTo("Embedding(200, 50, padding_idx=197)"));
        float[] w = layer.Weight.ToArray();
        Assert.That(w.Skip(197 * 50).Take(50), Has.All.EqualTo(0f));
        double mean = w.Average(), std = Math.Sqrt(w.Select(v => (v - mean) * (v - mean)).Average());
        Assert.That(mean, Is.EqualTo(0).Within(0.03));
        Assert.That(std, Is.EqualTo(1).Within(0.03));
        Assert.That(layer.Weight.RequiresGrad, Is.True);
        Assert.That(new ArenaGrad.Nn.Embedding(arena, 10, 3).ToString(), Is.EqualTo("Embedding(10, 3)"));
    }

    [Test]
    public void OutOfRangeIndex_ThrowsTorchsMessage_AndTheLayerStillWorks()
    {
        JsonElement errors = Root.GetProperty("errors");
        using var arena = new Arena();
        var layer = new ArenaGrad.Nn.Embedding(arena, 5, 2);
        int tape = arena.TapeLength;
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(arena.FromData([1, 5], [2])))!.Message,
            Does.StartWith(errors.GetProperty("embedding_range").GetString()!));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(arena.FromData([-1], [1])))!.Message,
            Does.StartWith("index out of range in self"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new ArenaGrad.Nn.Embedding(arena, 5, 2, paddingIdx: 5))!.Message,
            Does.StartWith(errors.GetProperty("embedding_padding").GetString()!));
        Assert.That(Assert.Throws<ArgumentException>(() => layer.Forward(arena.Ones([2])))!.Message, Does.Contain("'indices'"));
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
        Assert.That(layer.Forward(arena.FromData([4], [1])).Shape.ToArray(), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void CapturedReplay_ReadsTheIndexAfresh_AndRefusesAnIndexMadeOutOfRange()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 4 });
        var layer = new ArenaGrad.Nn.Embedding(arena, 6, 3, paddingIdx: 0);
        Tensor index = arena.FromData([1, 2, 3], [3]);
        using (arena.Scope())
        {
            using var step = arena.Capture(index, i => layer.Forward(i) * 2f);
            Tensor replayed = step.Run(arena.FromData([5, 0, 5], [3]));
            float[] w = layer.Weight.ToArray();
            float[] expected = [.. w.Skip(15).Take(3).Select(v => v * 2f), .. w.Take(3).Select(v => v * 2f), .. w.Skip(15).Take(3).Select(v => v * 2f)];
            Assert.That(replayed.ToArray(), Is.EqualTo(expected));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => step.Run(arena.FromData([1, 6, 0], [3])))!.Message,
                Does.StartWith("index out of range in self"));
        }
    }

    [Test]
    public void GradCheck_PassesForTheWeight_WithRepeats()
    {
        // no padding index: its row's values are used but get no gradient by design, which gradcheck would report
        using var arena = new Arena(new ArenaOptions { Seed = 12 });
        Tensor index = arena.FromData([2, 0, 2, 1, 3, 2], [2, 3]), u = arena.Randn([2, 3, 2]);
        GradCheckResult result = Autograd.GradCheck(v => (Functional.Embedding(index, v[0]).Tanh() * u).Sum(),
            [arena.Randn([4, 2], requiresGrad: true)]);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void SecondDerivative_ThroughTheGraphRule_MatchesTheProductRule()
    {
        // y = emb(i, w)·w.sum(): d/dw of sum(dy/dw · v) is non-zero only through the graph rule's scatter_add being recorded.
        using var arena = new Arena(new ArenaOptions { Seed = 9 });
        Tensor w = arena.Randn([4, 2], requiresGrad: true), index = arena.FromData([3, 1, 3, 0], [2, 2]);
        Tensor loss = (Functional.Embedding(index, w, paddingIdx: 0).Square()).Sum();
        Tensor dw = Autograd.Grad(loss, w, createGraph: true);
        // dloss/dw[r] = 2·count(r)·w[r] for r ≠ padding: d(sum(dw))/dw[r] = 2·count(r)
        Tensor second = Autograd.Grad(dw.Sum(), w);
        Assert.That(dw.ToArray(), Is.EqualTo(w.ToArray().Select((v, k) => (k / 2) switch { 3 => 4 * v, 1 => 2 * v, _ => 0f }).ToArray()).Within(1e-6));
        Assert.That(second.ToArray(), Is.EqualTo(new[] { 0f, 0f, 2f, 2f, 0f, 0f, 4f, 4f }));
    }
}
