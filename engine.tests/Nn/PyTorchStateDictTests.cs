using System.Text.Json;
using ArenaGrad.IO;
using ArenaGrad.Nn;

namespace ArenaGrad.Tests.Nn;

/// <summary>Issue 18: a state_dict that PyTorch 1.13 saved through safetensors loads into each pinned layer, which then
/// prints PyTorch's repr and gives PyTorch's eval-mode output (Golden/layers/state_dicts, make_layers_state_dicts.py:
/// every float in the state perturbed from its initial value, running statistics and num_batches_tracked included).</summary>
[TestFixture]
public sealed class PyTorchStateDictTests
{
    private static string Folder => Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", "layers", "state_dicts");

    private static JsonElement[] Cases()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "cases.json")));
        return document.RootElement.EnumerateArray().Select(c => c.Clone()).ToArray();
    }

    public static IEnumerable<TestCaseData> CaseNames() =>
        Cases().Select(c => new TestCaseData(c.GetProperty("name").GetString()).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    [Test]
    public void EveryPinnedLayer_HasACase()
    {
        string[] kinds = Cases().Select(c => c.GetProperty("kind").GetString()!).ToArray();
        Assert.That(kinds, Is.SupersetOf(new[]
        {
            "GRUCell", "LSTMCell", "GRU", "LSTM", "Conv1d", "Conv2d", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "Embedding",
            "MultiheadAttention", "TransformerEncoderLayer",
        }));
    }

    [TestCaseSource(nameof(CaseNames))]
    public void PyTorchsSafetensors_Loads_AndGivesPyTorchsEvalOutput(string name)
    {
        JsonElement c = Cases().Single(x => x.GetProperty("name").GetString() == name);
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        JsonElement args = c.GetProperty("args");
        Module module = Build(arena, c.GetProperty("kind").GetString()!, args);
        IReadOnlyDictionary<string, Tensor> state = Safetensors.Load(arena, Path.Combine(Folder, name + ".safetensors"));
        Assert.That(module.StateDict().Select(p => p.Name), Is.EquivalentTo(state.Keys), "the state_dict's names are PyTorch's");
        module.LoadStateDict(state);
        foreach (NamedTensor entry in module.StateDict())
            Assert.That(entry.Value.ToArray(), Is.EqualTo(state[entry.Name].ToArray()), entry.Name);
        Assert.That(module.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()));
        module.Eval();
        Tensor[] inputs = c.GetProperty("inputs").EnumerateArray().Select(i => Load(arena, i)).ToArray();
        float[] output;
        using (arena.NoGrad()) output = Run(module, inputs).ToArray();
        JsonElement expected = c.GetProperty("output");
        float[] want = expected.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.That(output, Has.Length.EqualTo(want.Length));
        for (int i = 0; i < want.Length; i++)
            Assert.That(output[i], Is.EqualTo(want[i]).Within(1e-5f + 1e-4f * Math.Abs(want[i])), $"{name} output[{i}]");
    }

    private static Module Build(Arena arena, string kind, JsonElement a)
    {
        int I(string key) => a.GetProperty(key).GetInt32();
        bool B(string key, bool fallback) => a.TryGetProperty(key, out JsonElement v) ? v.GetBoolean() : fallback;
        return kind switch
        {
            "GRUCell" => new GRUCell(arena, I("input"), I("hidden")),
            "LSTMCell" => new LSTMCell(arena, I("input"), I("hidden")),
            "GRU" => new GRU(arena, I("input"), I("hidden"), I("layers"), B("bias", true), B("batch_first", false)),
            "LSTM" => new LSTM(arena, I("input"), I("hidden"), I("layers"), B("bias", true), B("batch_first", false)),
            "Conv1d" => new Conv1d(arena, I("in"), I("out"), I("kernel"), I("stride"), I("padding"), I("dilation"), I("groups")),
            "Conv2d" => new Conv2d(arena, I("in"), I("out"), I("kernel"), I("stride"), I("padding"), I("dilation"), I("groups")),
            "LayerNorm" => new LayerNorm(arena, a.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray()),
            "BatchNorm1d" => new BatchNorm1d(arena, I("features")),
            "BatchNorm2d" => new BatchNorm2d(arena, I("features")),
            "Embedding" => new ArenaGrad.Nn.Embedding(arena, I("num"), I("dim"), I("padding_idx")),
            "MultiheadAttention" => new MultiheadAttention(arena, I("embed"), I("heads"), batchFirst: B("batch_first", true)),
            "TransformerEncoderLayer" => new TransformerEncoderLayer(arena, I("d_model"), I("heads"), I("ff"), normFirst: B("norm_first", false)),
            _ => throw new ArgumentException($"no layer for case kind {kind}", nameof(kind)),
        };
    }

    private static Tensor Run(Module module, Tensor[] inputs) => module switch
    {
        GRUCell cell => cell.Forward(inputs[0], inputs[1]),
        LSTMCell cell => Functional.Cat([cell.Forward(inputs[0], (inputs[1], inputs[2])).H, cell.Forward(inputs[0], (inputs[1], inputs[2])).C], -1),
        MultiheadAttention mha => mha.Forward(inputs[0], inputs[1], inputs[1]).Output,
        _ => module.Forward(inputs[0]),
    };

    private static Tensor Load(Arena arena, JsonElement e)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        IEnumerable<double> data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble());
        return e.GetProperty("int").GetBoolean()
            ? arena.FromData(data.Select(v => (int)v).ToArray(), shape)
            : arena.FromData(data.Select(v => (float)v).ToArray(), shape);
    }
}
