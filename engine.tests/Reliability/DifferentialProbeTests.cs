using System.Text.Json;
using ArenaGrad.Tests.Golden;

namespace ArenaGrad.Tests.Reliability;

/// <summary>The differential probe of the ops of issue 16 (Golden/probe/cases.json, written by Golden/make_probe.py with
/// PyTorch 1.13): thousands of random cases, each run here and compared with PyTorch's outcome. Where PyTorch succeeded
/// we must give the same shape, dtype, values and gradient of sum(output * w); where it raised we must throw an
/// ArgumentException or InvalidOperationException (never another exception) and leave the arena's tensors and tape as
/// they were. Messages that differ from PyTorch's are listed, not failed.</summary>
public sealed class DifferentialProbeTests
{
    private const float Tolerance = 1e-4f;
    private static int _pieces; // how many pieces the last split or chunk gave

    [Test]
    public void EveryProbeCase_MatchesPyTorch()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "Golden", "probe", "cases.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
        JsonElement[] cases = document.RootElement.GetProperty("cases").EnumerateArray().ToArray();
        Assert.That(cases, Has.Length.GreaterThan(3000), "make_probe.py writes a few thousand cases");
        var failures = new List<string>();
        var messages = new List<string>();
        using var arena = new Arena();
        foreach (JsonElement c in cases)
        {
            using (arena.Scope())
            {
                string? failure = RunCase(arena, c, messages);
                if (failure != null) failures.Add($"#{c.GetProperty("id").GetInt32()} {c.GetProperty("op").GetString()} {c.GetProperty("a")}: {failure}");
            }
        }
        TestContext.Out.WriteLine($"{cases.Length} cases; {messages.Count} errors with another message than PyTorch's:");
        foreach (string m in messages.Distinct().Order(StringComparer.Ordinal)) TestContext.Out.WriteLine("  " + m);
        Assert.That(failures, Is.Empty, $"{failures.Count} of {cases.Length} cases differ from PyTorch:\n" + string.Join("\n", failures.Take(60)));
    }

    private static string? RunCase(Arena arena, JsonElement c, List<string> messages)
    {
        JsonElement[] specs = c.GetProperty("in").EnumerateArray().ToArray();
        var inputs = new Tensor[specs.Length];
        for (int n = 0; n < specs.Length; n++)
            inputs[n] = specs[n].TryGetProperty("alias", out JsonElement alias) ? inputs[alias.GetInt32()]
                : MakeInput(arena, specs[n], requiresGrad: !c.TryGetProperty("ng", out _));
        int tensors = arena.TensorCount, tape = arena.TapeLength;
        Tensor y;
        _pieces = -1;
        try
        {
            y = Run(c.GetProperty("op").GetString()!, inputs, c.GetProperty("a"));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException && c.TryGetProperty("err", out JsonElement err))
        {
            if (arena.TensorCount != tensors || arena.TapeLength != tape)
                return $"threw but left {arena.TensorCount - tensors} tensors and {arena.TapeLength - tape} tape entries";
            string message = e.Message.Split('\n')[0]; // without ArgumentOutOfRangeException's "Actual value was"
            if (e is ArgumentException { ParamName: string name }) message = message.Replace($" (Parameter '{name}')", "");
            if (message != err.GetString())
                messages.Add($"{c.GetProperty("op").GetString()}: torch '{err.GetString()}' / ours '{message}'");
            return null;
        }
        catch (Exception e)
        {
            return c.TryGetProperty("err", out JsonElement err2) ? $"torch raised '{err2.GetString()}', we threw {e.GetType().Name}: {e.Message}"
                : $"torch succeeded, we threw {e.GetType().Name}: {e.Message}";
        }
        if (c.TryGetProperty("err", out JsonElement err3)) return $"torch raised '{err3.GetString()}', we returned shape [{string.Join(", ", y.Shape.ToArray())}]";
        if (c.TryGetProperty("np", out JsonElement np) && np.GetInt32() != _pieces) return $"{_pieces} pieces, torch {np.GetInt32()}";
        if (_pieces == 0) return null; // no pieces, as PyTorch
        JsonElement o = c.GetProperty("out");
        string? diff = Compare("output", y, o);
        if (diff != null) return diff;
        if (y.RequiresGrad != o.GetProperty("rg").GetBoolean()) return $"requires_grad {y.RequiresGrad}, torch {o.GetProperty("rg")}";
        if (!c.TryGetProperty("g", out JsonElement grads)) return null;
        float[] w = Enumerable.Range(0, y.Count).Select(i => (37 * i % 11 - 5) / 4f).ToArray();
        (y * arena.FromData(w, y.Shape)).Sum().Backward();
        int k = 0;
        foreach (JsonElement g in grads.EnumerateArray())
        {
            Tensor x = inputs[k++];
            if (x.DType != DType.Float32 || specs[k - 1].TryGetProperty("alias", out _)) continue; // an alias's gradient is its original's
            if (g.ValueKind == JsonValueKind.Null != (x.Grad == null)) return $"grad of input {k - 1}: torch {(g.ValueKind == JsonValueKind.Null ? "None" : "present")}, ours {(x.Grad == null ? "null" : "present")}";
            if (x.Grad is Tensor grad && CompareValues($"grad of input {k - 1}", grad.ToArray(), GoldenProgramRunner.Floats(g)) is string d) return d;
        }
        return null;
    }

    private static Tensor MakeInput(Arena arena, JsonElement spec, bool requiresGrad)
    {
        int[] shape = GoldenProgramRunner.Ints(spec.GetProperty("s"));
        JsonElement data = spec.GetProperty("d");
        return spec.GetProperty("t").GetString() switch
        {
            "i" => arena.FromData(GoldenProgramRunner.Ints(data), shape),
            "b" => arena.FromData(GoldenProgramRunner.Ints(data).Select(v => v != 0).ToArray(), shape),
            _ => arena.FromData(GoldenProgramRunner.Floats(data), shape, requiresGrad),
        };
    }

    private static string? Compare(string what, Tensor y, JsonElement expected)
    {
        int[] shape = GoldenProgramRunner.Ints(expected.GetProperty("s"));
        if (!y.Shape.SequenceEqual(shape)) return $"{what} shape [{string.Join(", ", y.Shape.ToArray())}], torch [{string.Join(", ", shape)}]";
        DType dtype = expected.GetProperty("t").GetString() switch { "i" => DType.Int32, "b" => DType.Bool, _ => DType.Float32 };
        if (y.DType != dtype) return $"{what} dtype {y.DType}, torch {dtype}";
        return CompareValues(what, y.ToArray(), GoldenProgramRunner.Floats(expected.GetProperty("d")), exact: dtype != DType.Float32);
    }

    private static string? CompareValues(string what, float[] actual, float[] expected, bool exact = false)
    {
        if (actual.Length != expected.Length) return $"{what} has {actual.Length} values, torch {expected.Length}";
        for (int i = 0; i < actual.Length; i++)
        {
            float a = actual[i], e = expected[i];
            bool same = float.IsNaN(e) ? float.IsNaN(a)
                : float.IsInfinity(e) || exact ? a == e
                : Math.Abs(a - e) <= Tolerance + Tolerance * Math.Abs(e);
            if (!same) return $"{what}[{i}] = {a:R}, torch {e:R} (ours [{string.Join(", ", actual.Take(12))}], torch [{string.Join(", ", expected.Take(12))}])";
        }
        return null;
    }

    private static Reduction ReductionOf(JsonElement a) => a.GetProperty("reduction").GetString() switch
    {
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => Reduction.Mean,
    };

    /// <summary>One probe op, by make_probe.py's name. Split and chunk keep the piece "index" names, modulo the count.</summary>
    private static Tensor Run(string op, Tensor[] t, JsonElement a)
    {
        var at = new GoldenAttributes(a);
        Tensor x = t.Length > 0 ? t[0] : default;
        int D() => at.Int("dim");
        bool K() => at.Bool("keepdim");
        Tensor Piece(Tensor[] all)
        {
            _pieces = all.Length;
            return all.Length == 0 ? default : all[at.Int("index") % all.Length];
        }
        string? simple = op switch { "sin" or "cos" or "log1p" or "expm1" or "erf" or "rsqrt" or "reciprocal" or "sign" or "floor" or "round" or "silu" or "mish" => op, _ => null };
        if (simple != null) return GoldenOpFamilies.TryRun(simple, t, a)!.Value;
        return op switch
        {
            "softplus" => x.Softplus(at.Float("beta"), at.Float("threshold")),
            "elu" => x.Elu(at.Float("alpha")),
            "gelu" => x.Gelu(a.GetProperty("approximate").GetString() == "tanh"),
            "hardtanh" => x.Hardtanh(at.Float("min"), at.Float("max")),
            "minimum" => Functional.Minimum(t[0], t[1]),
            "maximum" => Functional.Maximum(t[0], t[1]),
            "min_all" => x.Min(),
            "max_all" => x.Max(),
            "sum_all" => x.Sum(),
            "mean_all" => x.Mean(),
            "amin" => x.Amin(D(), K()),
            "amax" => x.Amax(D(), K()),
            "sum_dim" => x.Sum(D(), K()),
            "mean_dim" => x.Mean(D(), K()),
            "max_values" => x.MaxWithIndices(D(), K()).Values,
            "max_indices" => x.MaxWithIndices(D(), K()).Indices,
            "min_values" => x.MinWithIndices(D(), K()).Values,
            "min_indices" => x.MinWithIndices(D(), K()).Indices,
            "argmax_all" => x.ArgMax(),
            "argmin_all" => x.ArgMin(),
            "argmax" => x.ArgMax(D(), K()),
            "argmin" => x.ArgMin(D(), K()),
            "var_all" => x.Var(null, at.Int("correction"), K()),
            "std_all" => x.Std(null, at.Int("correction"), K()),
            "var" => x.Var(D(), at.Int("correction"), K()),
            "std" => x.Std(D(), at.Int("correction"), K()),
            "norm_all" => x.Norm(at.Float("p")),
            "norm" => x.Norm(at.Float("p"), D(), K()),
            "logsumexp" => x.LogSumExp(D(), K()),
            "cumsum" => x.CumSum(D()),
            "prod_all" => x.Prod(),
            "prod" => x.Prod(D(), K()),
            "narrow" => x.Narrow(D(), at.Int("start"), at.Int("length")),
            "select" => x.Select(D(), at.Int("index")),
            "slice" => x.Slice(D(), at.Int("start"), at.Int("end"), at.Int("step")),
            "permute" => x.Permute(at.Ints("dims")),
            "unsqueeze" => x.Unsqueeze(D()),
            "squeeze_all" => x.Squeeze(),
            "squeeze" => x.Squeeze(D()),
            "expand" => x.Expand(at.Ints("shape")),
            "flatten" => x.Flatten(at.Int("start"), at.Int("end")),
            "repeat" => x.Repeat(at.Ints("repeats")),
            "split" => Piece(x.Split(at.Int("size"), D())),
            "split_sizes" => Piece(x.Split(at.Ints("sizes"), D())),
            "chunk" => Piece(x.Chunk(at.Int("chunks"), D())),
            "stack" => Functional.Stack(t, D()),
            "cat" => Functional.Cat(t, D()),
            "reshape" => x.Reshape(at.Ints("shape")),
            "transpose" => x.Transpose(at.Int("dim0"), at.Int("dim1")),
            "index_select" => x.IndexSelect(D(), t[1]),
            "gather" => x.Gather(D(), t[1]),
            "scatter_add" => x.ScatterAdd(D(), t[1], t[2]),
            "masked_fill" => x.MaskedFill(t[1], at.Float("value")),
            "where" => Functional.Where(t[0], t[1], t[2]),
            "where_scalar" => Functional.Where(t[0], t[1], at.Float("b")),
            "eq" => t[0].Eq(t[1]),
            "ne" => t[0].Ne(t[1]),
            "lt" => t[0].Lt(t[1]),
            "le" => t[0].Le(t[1]),
            "gt" => t[0].Gt(t[1]),
            "ge" => t[0].Ge(t[1]),
            "eq_scalar" => x.Eq(at.Float("other")),
            "ne_scalar" => x.Ne(at.Float("other")),
            "lt_scalar" => x.Lt(at.Float("other")),
            "le_scalar" => x.Le(at.Float("other")),
            "gt_scalar" => x.Gt(at.Float("other")),
            "ge_scalar" => x.Ge(at.Float("other")),
            "logical_not" => x.LogicalNot(),
            "logical_and" => t[0].LogicalAnd(t[1]),
            "logical_or" => t[0].LogicalOr(t[1]),
            "logical_xor" => t[0].LogicalXor(t[1]),
            "to" => x.To(a.GetProperty("dtype").GetString() switch { "i" => DType.Int32, "b" => DType.Bool, _ => DType.Float32 }),
            "cross_entropy" => Functional.CrossEntropy(t[0], t[1], ReductionOf(a), at.Float("ls"), at.Int("ignore")),
            "cross_entropy_probs" => Functional.CrossEntropy(t[0], t[1], ReductionOf(a), at.Float("ls")),
            "nll_loss" => Functional.NllLoss(t[0], t[1], ReductionOf(a), at.Int("ignore")),
            _ => throw new NotSupportedException($"probe op '{op}' has no mapping"),
        };
    }
}
