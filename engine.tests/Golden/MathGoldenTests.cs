using System.Text.Json;

namespace ArenaGrad.Tests.Golden;

/// <summary>Golden/ops/math (make_ops_math.py) against PyTorch 1.13: values, requires_grad, gradients.</summary>
/// <remarks>Local runner for the math family until GoldenTests enumerates Golden/ops with dtype support (the lead's change
/// on main); then this class goes and GoldenTests runs the same files. Same tolerances as GoldenTests (1e-4 absolute
/// plus 1e-4 relative), NaN only for NaN, infinities exactly.</remarks>
[TestFixture]
public sealed class MathGoldenTests
{
    private static IEnumerable<GoldenCase> Cases() => GoldenCase.All(Path.Combine("ops", "math"));

    [Test]
    public void MathPrograms_ArePresent() => Assert.That(Cases().Count(), Is.GreaterThanOrEqualTo(30));

    [TestCaseSource(nameof(Cases))]
    public void MathProgram_MatchesPyTorch(GoldenCase golden)
    {
        JsonElement root = golden.Root;
        using var arena = new Arena();
        var named = new Dictionary<string, Tensor>();
        foreach (JsonProperty input in root.GetProperty("inputs").EnumerateObject())
            named[input.Name] = arena.FromData(GoldenProgramRunner.Floats(input.Value.GetProperty("data")),
                GoldenProgramRunner.Ints(input.Value.GetProperty("shape")), input.Value.GetProperty("requires_grad").GetBoolean());
        foreach (JsonElement step in root.GetProperty("program").EnumerateArray())
            named[step.GetProperty("out").GetString()!] = GoldenProgramRunner.Run(step, named);
        foreach (JsonProperty expected in root.GetProperty("expect").EnumerateObject())
        {
            Tensor actual = named[expected.Name];
            string where = $"{golden.Name}: {expected.Name}";
            Assert.That(actual.Shape.ToArray(), Is.EqualTo(GoldenProgramRunner.Ints(expected.Value.GetProperty("shape"))), where + " shape");
            Assert.That(actual.RequiresGrad, Is.EqualTo(expected.Value.GetProperty("requires_grad").GetBoolean()), where + " requires_grad");
            AssertClose(actual.ToArray(), GoldenProgramRunner.Floats(expected.Value.GetProperty("data")), where + " values");
        }
        Tensor backwardRoot = named[root.GetProperty("backward").GetString()!];
        if (backwardRoot.Count == 1) backwardRoot.Backward();
        else backwardRoot.Backward(arena.Ones(backwardRoot.Shape));
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
            AssertClose(actual!.Value.ToArray(), GoldenProgramRunner.Floats(grad.Value), where);
        }
    }

    private static void AssertClose(float[] actual, float[] expected, string where)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), where + " length");
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(expected[i])) Assert.That(actual[i], Is.NaN, $"{where}[{i}]");
            else if (float.IsInfinity(expected[i])) Assert.That(actual[i], Is.EqualTo(expected[i]), $"{where}[{i}]");
            else Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-4f + 1e-4f * Math.Abs(expected[i])), $"{where}[{i}]");
        }
    }
}
