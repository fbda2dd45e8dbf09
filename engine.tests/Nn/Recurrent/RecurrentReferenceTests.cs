using System.Text.Json;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using static ArenaGrad.Tests.Nn.Recurrent.RecurrentGolden;

namespace ArenaGrad.Tests.Nn.Recurrent;

/// <summary>GRUCell, LSTMCell, GRU and LSTM against PyTorch 1.13 (Golden/layers/recurrent): the same weights loaded by
/// name, outputs, h_n and c_n, and the gradient of every parameter, input and initial state for a loss that weighs each
/// output element differently; reprs; PyTorch's messages; a PyTorch state_dict through safetensors.</summary>
[TestFixture]
public sealed class RecurrentReferenceTests
{
    public static IEnumerable<TestCaseData> CellCases() => Cases("cells.json").Select((c, i) => new TestCaseData(i).SetArgDisplayNames(Name(c, i)));

    public static IEnumerable<TestCaseData> SequenceCases() =>
        Cases("sequences.json").Select((c, i) => new TestCaseData(i).SetArgDisplayNames(Name(c, i)));

    private static string Name(JsonElement c, int i) =>
        $"{i}_{c.GetProperty("kind").GetString()}_{c.GetProperty("repr").GetString()}_{(c.GetProperty("batched").GetBoolean() ? "batched" : "unbatched")}" +
        $"{(c.GetProperty("with_state").GetBoolean() ? "_state" : "_zeros")}";

    [TestCaseSource(nameof(CellCases))]
    public void Cell_MatchesPyTorch_OutputsAndEveryGradient(int index)
    {
        JsonElement c = Cases("cells.json")[index];
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        int inputSize = c.GetProperty("input_size").GetInt32(), hiddenSize = c.GetProperty("hidden_size").GetInt32();
        bool bias = c.GetProperty("bias").GetBoolean(), withState = c.GetProperty("with_state").GetBoolean();
        bool gru = c.GetProperty("kind").GetString() == "gru";
        Module module = gru ? new GRUCell(arena, inputSize, hiddenSize, bias) : new LSTMCell(arena, inputSize, hiddenSize, bias);
        module.LoadStateDict(StateDict(arena, c.GetProperty("params")));
        Assert.That(module.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()));
        Tensor x = Load(arena, c.GetProperty("input"), requiresGrad: true);
        Tensor w1 = Load(arena, c.GetProperty("w1")), w2 = Load(arena, c.GetProperty("w2"));
        Tensor h0 = withState ? Load(arena, c.GetProperty("h0"), requiresGrad: true) : default;
        Tensor c0 = withState && !gru ? Load(arena, c.GetProperty("c0"), requiresGrad: true) : default;
        Tensor loss;
        if (gru)
        {
            var cell = (GRUCell)module;
            Tensor y = withState ? cell.Forward(x, h0) : cell.Forward(x);
            Assert.That(y.GradFn, Is.EqualTo(x.Rank == 2 ? "ThnnFusedGruCellBackward0" : "SqueezeBackward1"));
            AssertClose(y, c.GetProperty("output"), "h'");
            loss = (y * w1).Sum();
        }
        else
        {
            var cell = (LSTMCell)module;
            (Tensor h, Tensor cs) = withState ? cell.Forward(x, (h0, c0)) : cell.ForwardWithZeroState(x);
            AssertClose(h, c.GetProperty("output"), "h'");
            AssertClose(cs, c.GetProperty("output_c"), "c'");
            loss = (h * w1).Sum() + (cs * w2).Sum();
        }
        loss.Backward();
        AssertClose(x.Grad!.Value, c.GetProperty("input_grad"), "input.grad");
        if (withState) AssertClose(h0.Grad!.Value, c.GetProperty("h0_grad"), "h0.grad");
        if (withState && !gru) AssertClose(c0.Grad!.Value, c.GetProperty("c0_grad"), "c0.grad");
        AssertParameterGrads(module, c.GetProperty("param_grads"));
    }

    [TestCaseSource(nameof(SequenceCases))]
    public void Sequence_MatchesPyTorch_OutputHnAndEveryGradient(int index)
    {
        JsonElement c = Cases("sequences.json")[index];
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        int inputSize = c.GetProperty("input_size").GetInt32(), hiddenSize = c.GetProperty("hidden_size").GetInt32();
        int numLayers = c.GetProperty("num_layers").GetInt32();
        bool bias = c.GetProperty("bias").GetBoolean(), batchFirst = c.GetProperty("batch_first").GetBoolean();
        bool withState = c.GetProperty("with_state").GetBoolean(), gru = c.GetProperty("kind").GetString() == "gru";
        Module module = gru ? new GRU(arena, inputSize, hiddenSize, numLayers, bias, batchFirst) : new LSTM(arena, inputSize, hiddenSize, numLayers, bias, batchFirst);
        module.LoadStateDict(StateDict(arena, c.GetProperty("params")));
        Assert.That(module.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()));
        Tensor x = Load(arena, c.GetProperty("input"), requiresGrad: true);
        Tensor w1 = Load(arena, c.GetProperty("w1")), w2 = Load(arena, c.GetProperty("w2")), w3 = Load(arena, c.GetProperty("w3"));
        Tensor h0 = withState ? Load(arena, c.GetProperty("h0"), requiresGrad: true) : default;
        Tensor c0 = withState && !gru ? Load(arena, c.GetProperty("c0"), requiresGrad: true) : default;
        Tensor loss;
        if (gru)
        {
            (Tensor output, Tensor hn) = withState ? ((GRU)module).Forward(x, h0) : ((GRU)module).Forward(x);
            AssertClose(output, c.GetProperty("output"), "output");
            AssertClose(hn, c.GetProperty("hn"), "h_n");
            loss = (output * w1).Sum() + (hn * w2).Sum();
        }
        else
        {
            (Tensor output, (Tensor hn, Tensor cn)) = withState ? ((LSTM)module).Forward(x, (h0, c0)) : ((LSTM)module).Forward(x);
            AssertClose(output, c.GetProperty("output"), "output");
            AssertClose(hn, c.GetProperty("hn"), "h_n");
            AssertClose(cn, c.GetProperty("cn"), "c_n");
            loss = (output * w1).Sum() + (hn * w2).Sum() + (cn * w3).Sum();
        }
        loss.Backward();
        AssertClose(x.Grad!.Value, c.GetProperty("input_grad"), "input.grad");
        if (withState) AssertClose(h0.Grad!.Value, c.GetProperty("h0_grad"), "h0.grad");
        if (withState && !gru) AssertClose(c0.Grad!.Value, c.GetProperty("c0_grad"), "c0.grad");
        AssertParameterGrads(module, c.GetProperty("param_grads"));
    }

    private static void AssertParameterGrads(Module module, JsonElement expected)
    {
        IReadOnlyList<NamedTensor> named = module.NamedParameters();
        Assert.That(named.Select(p => p.Name), Is.EqualTo(expected.EnumerateObject().Select(p => p.Name)), "parameter names, in PyTorch's order");
        foreach (NamedTensor p in named) AssertClose(p.Value.Grad!.Value, expected.GetProperty(p.Name), p.Name + ".grad");
    }

    [Test]
    public void Lstm_LoadsPyTorchStateDictFromSafetensors_AndMatchesItsOutput()
    {
        JsonElement root = Root("state_dict.json");
        using var arena = new Arena();
        var lstm = new LSTM(arena, 3, 5, numLayers: 2, batchFirst: true);
        lstm.LoadStateDict(Safetensors.Load(arena, PathOf("lstm2.safetensors")));
        Assert.That(lstm.ToString(), Is.EqualTo(root.GetProperty("repr").GetString()));
        foreach (JsonProperty p in root.GetProperty("state").EnumerateObject())
            Assert.That(lstm.NamedParameters().Single(n => n.Name == p.Name).Value.ToArray(), Is.EqualTo(Data(p.Value)), p.Name);
        using (arena.NoGrad())
        {
            (Tensor output, (Tensor hn, Tensor cn)) = lstm.Forward(Load(arena, root.GetProperty("input")));
            AssertClose(output, root.GetProperty("output"), "output");
            AssertClose(hn, root.GetProperty("hn"), "h_n");
            AssertClose(cn, root.GetProperty("cn"), "c_n");
        }
    }

    public static IEnumerable<TestCaseData> ErrorCases()
    {
        yield return Error("gru_rank4", a => { var m = new GRU(a, 4, 6, 2); Tensor t0 = a.Zeros([2, 3, 4, 1]); return () => m.Forward(t0); });
        yield return Error("gru_rank1", a => { var m = new GRU(a, 4, 6, 2); Tensor t0 = a.Zeros([4]); return () => m.Forward(t0); });
        yield return Error("gru_input_size", a => { var m = new GRU(a, 4, 6, 2); Tensor t0 = a.Zeros([5, 3, 5]); return () => m.Forward(t0); });
        yield return Error("gru_h0_shape", a => { var m = new GRU(a, 4, 6, 2); Tensor t0 = a.Zeros([5, 3, 4]); Tensor t1 = a.Zeros([2, 2, 6]); return () => m.Forward(t0, t1); });
        yield return Error("gru_h0_unbatched_rank", a => { var m = new GRU(a, 4, 6, 2); Tensor t0 = a.Zeros([5, 4]); Tensor t1 = a.Zeros([2, 1, 6]); return () => m.Forward(t0, t1); });
        yield return Error("gru_h0_batched_rank", a => { var m = new GRU(a, 4, 6, 2); Tensor t0 = a.Zeros([5, 3, 4]); Tensor t1 = a.Zeros([2, 6]); return () => m.Forward(t0, t1); });
        yield return Error("lstm_rank4", a => { var m = new LSTM(a, 4, 6, 2); Tensor t0 = a.Zeros([2, 3, 4, 1]); return () => m.Forward(t0); });
        yield return Error("lstm_input_size", a => { var m = new LSTM(a, 4, 6, 2); Tensor t0 = a.Zeros([5, 3, 5]); return () => m.Forward(t0); });
        yield return Error("lstm_h0_shape", a => { var m = new LSTM(a, 4, 6, 2); Tensor t0 = a.Zeros([5, 3, 4]); Tensor t1 = a.Zeros([2, 2, 6]); Tensor t2 = a.Zeros([2, 3, 6]); return () => m.Forward(t0, (t1, t2)); });
        yield return Error("lstm_c0_shape", a => { var m = new LSTM(a, 4, 6, 2); Tensor t0 = a.Zeros([5, 3, 4]); Tensor t1 = a.Zeros([2, 3, 6]); Tensor t2 = a.Zeros([1, 3, 6]); return () => m.Forward(t0, (t1, t2)); });
        yield return Error("lstm_h0_batched_rank", a => { var m = new LSTM(a, 4, 6, 2); Tensor t0 = a.Zeros([5, 3, 4]); Tensor t1 = a.Zeros([2, 6]); Tensor t2 = a.Zeros([2, 6]); return () => m.Forward(t0, (t1, t2)); });
        yield return Error("gru_cell_rank3", a => { var m = new GRUCell(a, 4, 6); Tensor t0 = a.Zeros([2, 3, 4]); return () => m.Forward(t0); });
        yield return Error("gru_cell_input_size", a => { var m = new GRUCell(a, 4, 6); Tensor t0 = a.Zeros([3, 5]); return () => m.Forward(t0); });
        yield return Error("gru_cell_hidden_size", a => { var m = new GRUCell(a, 4, 6); Tensor t0 = a.Zeros([3, 4]); Tensor t1 = a.Zeros([3, 5]); return () => m.Forward(t0, t1); });
        yield return Error("gru_cell_hidden_batch", a => { var m = new GRUCell(a, 4, 6); Tensor t0 = a.Zeros([3, 4]); Tensor t1 = a.Zeros([2, 6]); return () => m.Forward(t0, t1); });
        yield return Error("gru_cell_hidden_rank", a => { var m = new GRUCell(a, 4, 6); Tensor t0 = a.Zeros([3, 4]); Tensor t1 = a.Zeros([6]); return () => m.Forward(t0, t1); });
        yield return Error("lstm_cell_rank3", a => { var m = new LSTMCell(a, 4, 6); Tensor t0 = a.Zeros([2, 3, 4]); return () => m.Forward(t0); });
        yield return Error("lstm_cell_hidden_size", a => { var m = new LSTMCell(a, 4, 6); Tensor t0 = a.Zeros([3, 4]); Tensor t1 = a.Zeros([3, 5]); Tensor t2 = a.Zeros([3, 6]); return () => m.Forward(t0, (t1, t2)); });
        yield return Error("lstm_cell_cell_size", a => { var m = new LSTMCell(a, 4, 6); Tensor t0 = a.Zeros([3, 4]); Tensor t1 = a.Zeros([3, 6]); Tensor t2 = a.Zeros([3, 5]); return () => m.Forward(t0, (t1, t2)); });
    }

    /// <summary>A case: <paramref name="prepare"/> makes the module and its inputs and returns the call that must fail.</summary>
    private static TestCaseData Error(string key, Func<Arena, Action> prepare) => new TestCaseData(key, prepare).SetArgDisplayNames(key);

    [TestCaseSource(nameof(ErrorCases))]
    public void WrongShapes_GivePyTorchsMessage_AndLeaveTheArenaAsItWas(string key, Func<Arena, Action> prepare)
    {
        string expected = Root("errors.json").GetProperty(key).GetProperty("message").GetString()!;
        using var arena = new Arena();
        Action call = prepare(arena);
        ArenaStatistics before = arena.Statistics;
        var exception = Assert.Throws<ArgumentException>(() => call());
        Assert.That(exception!.Message, Does.StartWith(expected));
        Assert.That(arena.Statistics, Is.EqualTo(before), "the arena as it was");
    }

    /// <summary>Second derivatives through the cells against PyTorch: P = Σ v·∂L/∂(x, h[, c]) taken with createGraph (the
    /// fused ops' graph rules), then the gradient of P for the input, the states and every parameter.</summary>
    [TestCase(0)]
    [TestCase(1)]
    public void Cell_DoubleBackward_MatchesPyTorch(int index)
    {
        JsonElement c = Cases("double.json")[index];
        bool gru = c.GetProperty("kind").GetString() == "gru";
        using var arena = new Arena();
        Module module = gru ? new GRUCell(arena, 3, 4) : new LSTMCell(arena, 3, 4);
        module.LoadStateDict(StateDict(arena, c.GetProperty("params")));
        Tensor x = Load(arena, c.GetProperty("x"), true), h = Load(arena, c.GetProperty("h"), true), cs = Load(arena, c.GetProperty("c"), true);
        Tensor w = Load(arena, c.GetProperty("w"));
        JsonElement[] v = [.. c.GetProperty("v").EnumerateArray()];
        Tensor[] inputs = gru ? [x, h] : [x, h, cs];
        Tensor loss;
        if (gru) loss = (((GRUCell)module).Forward(x, h) * w).Sum();
        else
        {
            (Tensor hy, Tensor cy) = ((LSTMCell)module).Forward(x, (h, cs));
            Tensor flipped = arena.FromData([.. Data(c.GetProperty("w")).Skip(4), .. Data(c.GetProperty("w")).Take(4)], [2, 4]);
            loss = (hy * w).Sum() + (cy * flipped).Sum();
        }
        Tensor?[] first = Autograd.Grad([loss], inputs, createGraph: true);
        Tensor penalty = (first[0]!.Value * Load(arena, v[0])).Sum();
        for (int i = 1; i < inputs.Length; i++) penalty = penalty + (first[i]!.Value * Load(arena, v[i])).Sum();
        Assert.That(penalty.Item(), Is.EqualTo(c.GetProperty("penalty").GetSingle()).Within(1e-4));
        penalty.Backward();
        JsonElement[] expected = [.. c.GetProperty("input_grads").EnumerateArray()];
        for (int i = 0; i < inputs.Length; i++) AssertClose(inputs[i].Grad!.Value, expected[i], $"input {i}.grad");
        AssertParameterGrads(module, c.GetProperty("param_grads"));
    }
}
