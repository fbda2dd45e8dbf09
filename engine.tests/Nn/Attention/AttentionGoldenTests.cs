using System.Text.Json;
using ArenaGrad.Nn;
using static ArenaGrad.Tests.Nn.Attention.LayerGolden;

namespace ArenaGrad.Tests.Nn.Attention;

/// <summary>Scaled dot-product attention (PyTorch 2.0's documented formula), MultiheadAttention and
/// TransformerEncoderLayer against PyTorch 1.13: outputs, the attention weights, every parameter's and input's gradient
/// under non-uniform upstream gradients, and the reprs.</summary>
public sealed class AttentionGoldenTests
{
    // attention chains (two matmuls and a softmax, projections, LayerNorms) compound float rounding
    private const double Abs = 1e-4, Rel = 1e-4;

    private static IEnumerable<TestCaseData> Sdpa() => Cases("sdpa");

    private static IEnumerable<TestCaseData> Mha() => Cases("mha");

    private static IEnumerable<TestCaseData> Tel() => Cases("tel");

    private static Tensor? Optional(Arena arena, JsonElement inputs, string name, bool requiresGrad = false) =>
        inputs.TryGetProperty(name, out JsonElement value) ? Make(arena, value, requiresGrad && value.GetProperty("dtype").GetString() == "float32") : null;

    /// <summary>Every stored gradient: "input:name" against the tensors given, "param:name" against the module's.</summary>
    private static void AssertGradients(JsonElement golden, Dictionary<string, Tensor> inputs, Module? module)
    {
        JsonElement grads = golden.GetProperty("grads");
        int checkedCount = 0;
        foreach (JsonProperty stored in grads.EnumerateObject())
        {
            Tensor tensor = stored.Name.StartsWith("input:", StringComparison.Ordinal)
                ? inputs[stored.Name["input:".Length..]]
                : module!.NamedParameters().Single(p => p.Name == stored.Name["param:".Length..]).Value;
            if (stored.Value.ValueKind == JsonValueKind.Null) { Assert.That(tensor.Grad, Is.Null, stored.Name); continue; }
            Near(tensor.Grad!.Value, stored.Value, Abs, Rel, stored.Name);
            checkedCount++;
        }
        Assert.That(checkedCount, Is.GreaterThan(0));
    }

    [TestCaseSource(nameof(Sdpa))]
    public void ScaledDotProductAttention_MatchesPyTorch20sFormula(JsonElement golden)
    {
        using var arena = new Arena();
        JsonElement inputs = golden.GetProperty("inputs");
        Tensor q = Make(arena, inputs.GetProperty("q"), true), k = Make(arena, inputs.GetProperty("k"), true), v = Make(arena, inputs.GetProperty("v"), true);
        Tensor? mask = Optional(arena, inputs, "attn_mask", requiresGrad: false);
        Tensor y = Functional.ScaledDotProductAttention(q, k, v, mask, golden.GetProperty("options").GetProperty("is_causal").GetBoolean());
        Near(y, golden.GetProperty("outputs").GetProperty("output"), Abs, Rel, "output");
        Loss(arena, y, golden.GetProperty("upstream").GetProperty("output")).Backward();
        AssertGradients(golden, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = k, ["v"] = v }, null);
    }

    [TestCaseSource(nameof(Mha))]
    public void MultiheadAttention_MatchesPyTorch(JsonElement golden)
    {
        using var arena = new Arena();
        JsonElement options = golden.GetProperty("options"), inputs = golden.GetProperty("inputs");
        var mha = new MultiheadAttention(arena, options.GetProperty("embed_dim").GetInt32(), options.GetProperty("num_heads").GetInt32(),
            options.GetProperty("bias").GetBoolean(), options.GetProperty("batch_first").GetBoolean());
        LoadParameters(mha, golden);
        Assert.That(mha.ToString(), Is.EqualTo(golden.GetProperty("repr").GetString()));
        var given = new Dictionary<string, Tensor>();
        Tensor query = given["query"] = Make(arena, inputs.GetProperty("query"), true);
        bool self = options.GetProperty("self_attention").GetBoolean();
        Tensor key = self ? query : given["key"] = Make(arena, inputs.GetProperty("key"), true);
        Tensor value = self ? query : given["value"] = Make(arena, inputs.GetProperty("value"), true);
        Tensor? padding = Optional(arena, inputs, "key_padding_mask"), mask = Optional(arena, inputs, "attn_mask");
        bool needWeights = options.GetProperty("need_weights").GetBoolean();
        (Tensor output, Tensor? weights) = mha.Forward(query, key, value, padding, mask, needWeights);
        JsonElement outputs = golden.GetProperty("outputs"), upstream = golden.GetProperty("upstream");
        Near(output, outputs.GetProperty("output"), Abs, Rel, "output");
        Tensor loss = Loss(arena, output, upstream.GetProperty("output"));
        Assert.That(weights.HasValue, Is.EqualTo(needWeights));
        if (weights is Tensor w)
        {
            Near(w, outputs.GetProperty("weights"), Abs, Rel, "weights");
            loss = loss + Loss(arena, w, upstream.GetProperty("weights"));
        }
        loss.Backward();
        AssertGradients(golden, given, mha);
    }

    [TestCaseSource(nameof(Tel))]
    public void TransformerEncoderLayer_MatchesPyTorch(JsonElement golden)
    {
        using var arena = new Arena();
        JsonElement options = golden.GetProperty("options"), inputs = golden.GetProperty("inputs");
        var layer = new TransformerEncoderLayer(arena, options.GetProperty("d_model").GetInt32(), options.GetProperty("nhead").GetInt32(),
            options.GetProperty("dim_feedforward").GetInt32(), options.GetProperty("dropout").GetSingle(),
            options.GetProperty("batch_first").GetBoolean(), options.GetProperty("norm_first").GetBoolean());
        if (options.GetProperty("eval").GetBoolean()) layer.Eval();
        LoadParameters(layer, golden);
        Assert.That(layer.ToString(), Is.EqualTo(golden.GetProperty("repr").GetString()));
        Tensor src = Make(arena, inputs.GetProperty("src"), true);
        Tensor y = layer.Forward(src, Optional(arena, inputs, "src_mask"), Optional(arena, inputs, "src_key_padding_mask"));
        Near(y, golden.GetProperty("outputs").GetProperty("output"), Abs, Rel, "output");
        Loss(arena, y, golden.GetProperty("upstream").GetProperty("output")).Backward();
        AssertGradients(golden, new Dictionary<string, Tensor> { ["src"] = src }, layer);
    }
}
