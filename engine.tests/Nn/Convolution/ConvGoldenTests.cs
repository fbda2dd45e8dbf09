using System.Text.Json;
using ArenaGrad.Nn;

namespace ArenaGrad.Tests.Nn.Convolution;

/// <summary>Conv1d, Conv2d, the pools and F.unfold / F.fold against PyTorch 1.13 (Golden/make_layers_conv.py): the repr,
/// the output, the grad_fn name, and the input's and every parameter's gradient for a non-uniform upstream gradient,
/// through the fused backward and again through the graph rules (Autograd.Grad with createGraph).</summary>
public sealed class ConvGoldenTests
{
    private const double Absolute = 1e-5, Relative = 1e-4;

    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "layers", "conv", "cases.json"))));

    private static string[] CaseNames() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "layers", "conv", "cases.json")))
            .RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray();

    private static JsonElement Case(string name) =>
        Document.Value.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static float[] Data(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
    private static int[] Shape(JsonElement t) => t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static (int, int) Pair(JsonElement options, string key)
    {
        JsonElement v = options.GetProperty(key);
        return v.ValueKind == JsonValueKind.Array ? (v[0].GetInt32(), v[1].GetInt32()) : (v.GetInt32(), v.GetInt32());
    }

    /// <summary>The case's module, or null for the functional unfold/fold (then <paramref name="function"/> is set).</summary>
    private static Module? Build(Arena arena, JsonElement c, out Func<Tensor, Tensor>? function)
    {
        JsonElement o = c.GetProperty("options");
        function = null;
        switch (c.GetProperty("kind").GetString())
        {
            case "conv2d":
                bool square = o.GetProperty("kernel").ValueKind == JsonValueKind.Number && o.GetProperty("stride").ValueKind == JsonValueKind.Number &&
                    o.GetProperty("padding").ValueKind == JsonValueKind.Number && o.GetProperty("dilation").ValueKind == JsonValueKind.Number;
                return square
                    ? new Conv2d(arena, o.GetProperty("in").GetInt32(), o.GetProperty("out").GetInt32(), o.GetProperty("kernel").GetInt32(),
                        o.GetProperty("stride").GetInt32(), o.GetProperty("padding").GetInt32(), o.GetProperty("dilation").GetInt32(),
                        o.GetProperty("groups").GetInt32(), o.GetProperty("bias").GetBoolean())
                    : new Conv2d(arena, o.GetProperty("in").GetInt32(), o.GetProperty("out").GetInt32(), Pair(o, "kernel"), Pair(o, "stride"),
                        Pair(o, "padding"), Pair(o, "dilation"), o.GetProperty("groups").GetInt32(), o.GetProperty("bias").GetBoolean());
            case "conv1d":
                return new Conv1d(arena, o.GetProperty("in").GetInt32(), o.GetProperty("out").GetInt32(), o.GetProperty("kernel").GetInt32(),
                    o.GetProperty("stride").GetInt32(), o.GetProperty("padding").GetInt32(), o.GetProperty("dilation").GetInt32(),
                    o.GetProperty("groups").GetInt32(), o.GetProperty("bias").GetBoolean());
            case "maxpool2d":
            case "avgpool2d":
                bool max = c.GetProperty("kind").GetString() == "maxpool2d";
                if (o.GetProperty("kernel").ValueKind == JsonValueKind.Number)
                {
                    int k = o.GetProperty("kernel").GetInt32(), p = o.GetProperty("padding").GetInt32();
                    int? s = o.GetProperty("stride").ValueKind == JsonValueKind.Null ? null : o.GetProperty("stride").GetInt32();
                    return max ? new MaxPool2d(k, s, p) : new AvgPool2d(k, s, p);
                }
                return max ? new MaxPool2d(Pair(o, "kernel"), Pair(o, "stride"), Pair(o, "padding"))
                    : new AvgPool2d(Pair(o, "kernel"), Pair(o, "stride"), Pair(o, "padding"));
            case "adaptiveavgpool2d":
                return new AdaptiveAvgPool2d(Pair(o, "output"));
            case "unfold":
                (int, int) one = (1, 1), zero = (0, 0);
                function = x => Functional.Unfold(x, Pair(o, "kernel_size"), o.TryGetProperty("dilation", out _) ? Pair(o, "dilation") : one,
                    o.TryGetProperty("padding", out _) ? Pair(o, "padding") : zero, o.TryGetProperty("stride", out _) ? Pair(o, "stride") : one);
                return null;
            case "fold":
                function = x => Functional.Fold(x, Pair(o, "output_size"), Pair(o, "kernel_size"), o.TryGetProperty("dilation", out _) ? Pair(o, "dilation") : (1, 1),
                    o.TryGetProperty("padding", out _) ? Pair(o, "padding") : (0, 0), o.TryGetProperty("stride", out _) ? Pair(o, "stride") : (1, 1));
                return null;
            default: throw new InvalidOperationException(c.GetProperty("kind").GetString());
        }
    }

    private static void Close(Tensor? actual, JsonElement expected, string what)
    {
        Assert.That(actual, Is.Not.Null, what + " has no value");
        Assert.That(actual!.Value.Shape.ToArray(), Is.EqualTo(Shape(expected)), what + " shape");
        float[] a = actual.Value.ToArray(), e = Data(expected);
        for (int i = 0; i < e.Length; i++)
            Assert.That(Math.Abs(a[i] - e[i]), Is.LessThanOrEqualTo(Absolute + Relative * Math.Abs(e[i])), $"{what}[{i}]: {a[i]} vs {e[i]}");
    }

    private static (Module? Module, Func<Tensor, Tensor> Run, Tensor X, List<(string Name, Tensor Parameter)> Parameters) Setup(Arena arena, JsonElement c)
    {
        Module? module = Build(arena, c, out Func<Tensor, Tensor>? function);
        var parameters = new List<(string, Tensor)>();
        if (module is not null)
            foreach (NamedTensor p in module.NamedParameters())
            {
                using (arena.NoGrad()) p.Value.CopyFrom(Data(c.GetProperty("parameters").GetProperty(p.Name)));
                parameters.Add((p.Name, p.Value));
            }
        Tensor x = arena.FromData(Data(c.GetProperty("input")), Shape(c.GetProperty("input")), requiresGrad: true);
        return (module, module is null ? function! : module.Forward, x, parameters);
    }

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        JsonElement c = Case(name);
        using var arena = new Arena();
        var (module, run, x, parameters) = Setup(arena, c);
        Assert.That(parameters.Select(p => p.Name), Is.EquivalentTo(c.GetProperty("parameters").EnumerateObject().Select(p => p.Name)), "parameter names");
        if (module is not null) Assert.That(module.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()), "repr");
        Tensor y = run(x);
        Close(y, c.GetProperty("output"), "output");
        Assert.That(y.GradFn, Is.EqualTo(c.GetProperty("grad_fn").GetString()), "grad_fn");
        Tensor g = arena.FromData(Data(c.GetProperty("grad_output")), Shape(c.GetProperty("grad_output")));
        y.Backward(g);
        Close(x.Grad, c.GetProperty("grad_input"), "input grad");
        foreach (var (pname, p) in parameters) Close(p.Grad, c.GetProperty("parameter_grads").GetProperty(pname), pname + " grad");
    }

    [TestCaseSource(nameof(CaseNames))]
    public void GraphRules_MatchPyTorch(string name)
    {
        JsonElement c = Case(name);
        using var arena = new Arena();
        var (_, run, x, parameters) = Setup(arena, c);
        Tensor y = run(x);
        Tensor g = arena.FromData(Data(c.GetProperty("grad_output")), Shape(c.GetProperty("grad_output")));
        Tensor[] inputs = [x, .. parameters.Select(p => p.Parameter)];
        Tensor?[] grads = Autograd.Grad([y], inputs, [g], createGraph: true);
        Close(grads[0], c.GetProperty("grad_input"), "input grad (graph)");
        for (int i = 0; i < parameters.Count; i++)
            Close(grads[i + 1], c.GetProperty("parameter_grads").GetProperty(parameters[i].Name), parameters[i].Name + " grad (graph)");
    }
}
