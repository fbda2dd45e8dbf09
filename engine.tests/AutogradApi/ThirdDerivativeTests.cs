using System.Text.Json;

namespace ArenaGrad.Tests.AutogradApi;

/// <summary>
/// Third derivatives against PyTorch 1.13 (Golden/higher/third_derivatives.json, make_third.py): for tanh, sigmoid, exp,
/// log, sin and pow with several exponents, f', f'' and f''' at every point of a vector, each the gradient of the previous
/// one's sum taken with <c>Autograd.Grad</c> (createGraph for the first two), so the graph rules' own graphs are
/// differentiated twice more.
/// </summary>
[TestFixture]
public sealed class ThirdDerivativeTests
{
    private static readonly string[] Orders = ["first", "second", "third"];

    /// <summary>One function of the reference file.</summary>
    public sealed record ThirdDerivativeCase(string Name, JsonElement Root)
    {
        public override string ToString() => Name;
    }

    private static IEnumerable<ThirdDerivativeCase> Cases()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "Golden", "higher", "third_derivatives.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
            yield return new ThirdDerivativeCase(c.GetProperty("name").GetString()!, c.Clone());
    }

    [TestCaseSource(nameof(Cases))]
    public void ThirdDerivative_MatchesPyTorch(ThirdDerivativeCase golden)
    {
        JsonElement root = golden.Root;
        float[] xs = Floats(root.GetProperty("x"));
        using var arena = new Arena();
        Tensor x = arena.FromData(xs, [xs.Length], requiresGrad: true);
        Tensor current = Apply(root, x);
        for (int order = 0; order < Orders.Length; order++)
        {
            bool createGraph = order < Orders.Length - 1;
            Tensor? derivative = Autograd.Grad([current.Sum()], [x], createGraph: createGraph, allowUnused: true)[0];
            float[] expected = Floats(root.GetProperty(Orders[order]));
            // None: the previous derivative did not depend on x, so this one is zero (PyTorch's file writes zeros)
            float[] actual = derivative is Tensor d ? d.ToArray() : new float[xs.Length];
            Assert.That(actual, Has.Length.EqualTo(expected.Length));
            for (int i = 0; i < expected.Length; i++)
                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-4f + 3e-4f * Math.Abs(expected[i])),
                    $"{golden.Name}: {Orders[order]} derivative at x = {xs[i]}");
            if (derivative is not Tensor next || !next.RequiresGrad)
            {
                // Only a derivative that is constant in x may stop the chain: everything after it must be zero.
                for (int later = order + 1; later < Orders.Length; later++)
                    Assert.That(Floats(root.GetProperty(Orders[later])), Is.All.EqualTo(0f),
                        $"{golden.Name}: the {Orders[order]} derivative does not depend on x here, but PyTorch's next ones are not zero");
                return;
            }
            current = next;
        }
    }

    /// <summary>The sanity of the reference set: every function the file promises is there.</summary>
    [Test]
    public void ReferenceFile_HasEveryFunction()
    {
        string[] ops = Cases().Select(c => c.Root.GetProperty("op").GetString()!).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.That(ops, Is.EqualTo(new[] { "exp", "log", "pow", "sigmoid", "sin", "tanh" }));
        Assert.That(Cases().Count(c => c.Root.GetProperty("op").GetString() == "pow"), Is.GreaterThanOrEqualTo(3));
    }

    private static Tensor Apply(JsonElement root, Tensor x) => root.GetProperty("op").GetString() switch
    {
        "tanh" => x.Tanh(),
        "sigmoid" => x.Sigmoid(),
        "exp" => x.Exp(),
        "log" => x.Log(),
        "sin" => x.Sin(),
        "pow" => x.Pow(root.GetProperty("exponent").GetSingle()),
        var other => throw new NotSupportedException($"third-derivative op '{other}'"),
    };

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => v.GetSingle()).ToArray();
}
