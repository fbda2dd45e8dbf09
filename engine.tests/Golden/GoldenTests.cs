using System.Text.Json;

namespace ArenaGrad.Tests.Golden;

/// <summary>Every PyTorch golden case: forward values, requires_grad flags, backward errors and gradients.</summary>
[TestFixture]
public sealed class GoldenTests
{
    // Golden/README.md suggests |a-b| <= 1e-4 + 1e-4*|b|; matmul-heavy programs may need 1e-3 relative.
    private const float AbsoluteTolerance = 1e-4f;

    private static IEnumerable<GoldenCase> Cases() => GoldenCase.All();

    [Test]
    public void GoldenData_IsPresent_AllHundredCases() => Assert.That(Cases().Count(), Is.EqualTo(100));

    [TestCaseSource(nameof(Cases))]
    public void Program_MatchesPyTorch(GoldenCase golden)
    {
        JsonElement root = golden.Root;
        using var arena = new Arena();
        var named = new Dictionary<string, Tensor>();
        foreach (JsonProperty input in root.GetProperty("inputs").EnumerateObject())
        {
            named[input.Name] = arena.FromData(
                GoldenProgramRunner.Floats(input.Value.GetProperty("data")),
                GoldenProgramRunner.Ints(input.Value.GetProperty("shape")),
                input.Value.GetProperty("requires_grad").GetBoolean());
        }
        bool matmulHeavy = false;
        foreach (JsonElement step in root.GetProperty("program").EnumerateArray())
        {
            string op = step.GetProperty("op").GetString()!;
            matmulHeavy |= op is "matmul" or "linear";
            named[step.GetProperty("out").GetString()!] = GoldenProgramRunner.Run(step, named);
        }
        float relative = matmulHeavy ? 1e-3f : 1e-4f;

        foreach (JsonProperty expected in root.GetProperty("expect").EnumerateObject())
        {
            Tensor actual = named[expected.Name];
            string where = $"{golden.Name}: {expected.Name}";
            Assert.That(actual.Shape.ToArray(), Is.EqualTo(GoldenProgramRunner.Ints(expected.Value.GetProperty("shape"))), where + " shape");
            Assert.That(actual.RequiresGrad, Is.EqualTo(expected.Value.GetProperty("requires_grad").GetBoolean()), where + " requires_grad");
            AssertClose(actual.ToArray(), GoldenProgramRunner.Floats(expected.Value.GetProperty("data")), relative, where + " values");
        }

        Tensor backwardRoot = named[root.GetProperty("backward").GetString()!];
        if (root.TryGetProperty("backward_error", out JsonElement error) && error.ValueKind == JsonValueKind.String)
        {
            var thrown = Assert.Throws<InvalidOperationException>(() => Backward(arena, backwardRoot));
            Assert.That(thrown!.Message, Is.EqualTo(error.GetString()));
        }
        else
        {
            Backward(arena, backwardRoot);
        }

        foreach (JsonProperty grad in root.GetProperty("grads").EnumerateObject())
        {
            Tensor? actual = named[grad.Name].Grad;
            string where = $"{golden.Name}: grad of {grad.Name}";
            if (grad.Value.ValueKind == JsonValueKind.Null)
            {
                Assert.That(actual.HasValue, Is.False, where + " should be None");
                continue;
            }
            Assert.That(actual.HasValue, Is.True, where + " should exist");
            AssertClose(actual!.Value.ToArray(), GoldenProgramRunner.Floats(grad.Value), relative, where);
        }
    }

    private static void Backward(Arena arena, Tensor root)
    {
        // Golden/README.md: a non-scalar root is called with a gradient of ones.
        if (root.Count == 1) root.Backward();
        else root.Backward(arena.Ones(root.Shape));
    }

    private static void AssertClose(float[] actual, float[] expected, float relative, string where)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), where + " length");
        for (int i = 0; i < actual.Length; i++)
        {
            float tolerance = AbsoluteTolerance + relative * Math.Abs(expected[i]);
            if (float.IsNaN(expected[i])) Assert.That(actual[i], Is.NaN, $"{where}[{i}]");
            else if (float.IsInfinity(expected[i])) Assert.That(actual[i], Is.EqualTo(expected[i]), $"{where}[{i}]");
            else Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tolerance), $"{where}[{i}]");
        }
    }
}
