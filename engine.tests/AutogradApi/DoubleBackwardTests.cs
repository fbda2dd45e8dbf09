using System.Text.Json;
using ArenaGrad.Tape;
using ArenaGrad.Tests.Golden;

namespace ArenaGrad.Tests.AutogradApi;

/// <summary>
/// Higher-order gradients against PyTorch 1.13, op by op: every program of Golden/double (make_double_&lt;family&gt;.py)
/// takes the first gradients with <c>Autograd.Grad(createGraph: true)</c>, then the gradients of
/// S = Σ (grad_input · v_input).sum() with respect to the same inputs. And for every golden program of every family,
/// the graph rules (<see cref="GraphBackwardRules"/>) give the fused rules' first gradients.
/// </summary>
[TestFixture]
public sealed class DoubleBackwardTests
{
    private static IEnumerable<GoldenCase> DoubleCases() => GoldenCase.AllFamilies("double");

    private static IEnumerable<GoldenCase> EveryGoldenProgram() =>
        GoldenCase.All("data").Concat(GoldenCase.All("extra")).Concat(GoldenCase.AllOps()).Concat(DoubleCases());

    [TestCaseSource(nameof(DoubleCases))]
    public void DoubleBackward_MatchesPyTorch(GoldenCase golden)
    {
        JsonElement root = golden.Root;
        using var arena = new Arena();
        (Dictionary<string, Tensor> named, bool matmulHeavy) = Run(arena, root);
        float relative = matmulHeavy ? 1e-3f : 3e-4f;
        string[] keys = root.GetProperty("grads").EnumerateObject().Select(p => p.Name).ToArray();
        Tensor[] inputs = keys.Select(k => named[k]).ToArray();
        Tensor output = named[root.GetProperty("backward").GetString()!];
        Tensor[] seed = output.Count == 1 ? [] : [arena.Ones(output.Shape)];
        Tensor?[] first = Autograd.Grad([output], inputs, seed, createGraph: true, allowUnused: true);
        for (int k = 0; k < keys.Length; k++)
            AssertGradient(first[k], root.GetProperty("grads").GetProperty(keys[k]), relative, $"{golden.Name}: first grad of {keys[k]}");

        JsonElement twice = root.GetProperty("double");
        Tensor? s = null;
        for (int k = 0; k < keys.Length; k++)
        {
            if (first[k] is not Tensor g || !g.RequiresGrad) continue;
            Tensor v = arena.FromData(GoldenProgramRunner.Floats(twice.GetProperty("v").GetProperty(keys[k])), g.Shape);
            Tensor term = (g * v).Sum();
            s = s is Tensor sum ? sum + term : term;
        }
        Assert.That(s.HasValue, Is.EqualTo(twice.GetProperty("s_requires_grad").GetBoolean()),
            $"{golden.Name}: whether the first gradients depend on the inputs at all");
        if (s is not Tensor scalar) return;
        Tensor?[] second = Autograd.Grad([scalar], inputs, allowUnused: true);
        for (int k = 0; k < keys.Length; k++)
            AssertGradient(second[k], twice.GetProperty("grads").GetProperty(keys[k]), relative, $"{golden.Name}: second grad of {keys[k]}");
    }

    /// <summary>Every opcode with a derivative (but the custom-function row) is exercised by some Golden/double program,
    /// so no graph rule goes unchecked against PyTorch's second derivatives.</summary>
    [Test]
    public void EveryDifferentiableOpcode_HasADoubleBackwardProgram()
    {
        var seen = new HashSet<OpCode>();
        foreach (GoldenCase golden in DoubleCases())
        {
            using var arena = new Arena();
            Run(arena, golden.Root);
            foreach (Instruction ins in arena.Instructions) seen.Add(ins.Op);
        }
        // A custom function's derivative is its author's; CustomFunctionTests checks one twice differentiated against PyTorch.
        OpCode[] missing = Enum.GetValues<OpCode>()
            .Where(op => OpTable.Of(op).GradFnName is not null && op != OpCode.Custom && !seen.Contains(op)).ToArray();
        Assert.That(missing, Is.Empty, "opcodes with no Golden/double program");
    }

    /// <summary>The two backward paths agree: for every golden program, backward with createGraph (the graph rules)
    /// gives the fused kernels' gradients.</summary>
    [TestCaseSource(nameof(EveryGoldenProgram))]
    public void GraphRules_GiveTheFusedGradients(GoldenCase golden)
    {
        JsonElement root = golden.Root;
        if (root.GetProperty("backward").ValueKind == JsonValueKind.Null) return;
        if (root.TryGetProperty("backward_error", out JsonElement error) && error.ValueKind == JsonValueKind.String) return;
        float[]?[] fused = Gradients(root, createGraph: false, out string[] keys);
        float[]?[] graph = Gradients(root, createGraph: true, out _);
        for (int k = 0; k < keys.Length; k++)
        {
            string where = $"{golden.Name}: grad of {keys[k]}";
            Assert.That(graph[k] is null, Is.EqualTo(fused[k] is null), where + " present on one path only");
            if (fused[k] is null) continue;
            AssertClose(graph[k]!, fused[k]!, 1e-4f, where);
        }
    }

    private static float[]?[] Gradients(JsonElement root, bool createGraph, out string[] keys)
    {
        using var arena = new Arena();
        (Dictionary<string, Tensor> named, _) = Run(arena, root);
        keys = root.GetProperty("inputs").EnumerateObject()
            .Where(p => GoldenTests.DTypeOf(p.Value) == DType.Float32 && p.Value.GetProperty("requires_grad").GetBoolean())
            .Select(p => p.Name).ToArray();
        Tensor output = named[root.GetProperty("backward").GetString()!];
        if (output.Count == 1) output.Backward(createGraph: createGraph);
        else output.Backward(arena.Ones(output.Shape), createGraph: createGraph);
        return keys.Select(k => named[k].Grad?.ToArray()).ToArray();
    }

    private static (Dictionary<string, Tensor> Named, bool MatmulHeavy) Run(Arena arena, JsonElement root)
    {
        var named = new Dictionary<string, Tensor>();
        foreach (JsonProperty input in root.GetProperty("inputs").EnumerateObject())
            named[input.Name] = GoldenTests.MakeTensor(arena, input.Value);
        bool matmulHeavy = false;
        foreach (JsonElement step in root.GetProperty("program").EnumerateArray())
        {
            matmulHeavy |= step.GetProperty("op").GetString() is "matmul" or "linear";
            named[step.GetProperty("out").GetString()!] = GoldenProgramRunner.Run(step, named);
        }
        return (named, matmulHeavy);
    }

    /// <summary>A gradient against PyTorch's. An identically zero gradient and None are the same derivative: where
    /// PyTorch's formula multiplies by a saved mask (relu, clamp) it returns zeros, and the engine's comparison ops
    /// leave the input unused (None), or the reverse.</summary>
    private static void AssertGradient(Tensor? actual, JsonElement expected, float relative, string where)
    {
        if (expected.ValueKind == JsonValueKind.Null)
        {
            if (actual is Tensor t) Assert.That(t.ToArray(), Is.All.EqualTo(0f), where + " should be None (or zero)");
            return;
        }
        float[] want = GoldenProgramRunner.Floats(expected);
        if (actual is not Tensor a)
        {
            Assert.That(want, Is.All.EqualTo(0f), where + " is None here");
            return;
        }
        AssertClose(a.ToArray(), want, relative, where);
    }

    private static void AssertClose(float[] actual, float[] expected, float relative, string where)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), where + " length");
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(expected[i])) Assert.That(actual[i], Is.NaN, $"{where}[{i}]");
            else if (float.IsInfinity(expected[i])) Assert.That(actual[i], Is.EqualTo(expected[i]), $"{where}[{i}]");
            else Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-4f + relative * Math.Abs(expected[i])), $"{where}[{i}]");
        }
    }
}
