using ArenaGrad.Tape;

namespace ArenaGrad.Tests.Nn.Recurrent;

/// <summary>The fused gate ops' derivatives: against finite differences (gradcheck), the graph rules (createGraph) against
/// the fused rules, and second derivatives (the gradient of a gradient) against finite differences of the first.</summary>
public sealed class RecurrentGraphTests
{
    private static Tensor Values(Arena arena, int[] shape, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        float[] v = [.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale))];
        return arena.FromData(v, shape, requiresGrad: true);
    }

    /// <summary><paramref name="t"/> itself when it requires grad (gradcheck's analytic pass), else a leaf copy that does
    /// (its numeric pass), so the first-order gradient can be taken in both.</summary>
    private static Tensor Leaf(Tensor t) => t.RequiresGrad ? t : t.Arena.FromData(t.ToArray(), t.Shape, requiresGrad: true);

    public static IEnumerable<TestCaseData> Ops()
    {
        // (opcode, gates G, saved blocks): (gi, gh [2, 3G], state [2, 3]) -> a weighted sum of the op's output (H = 3)
        yield return new TestCaseData((int)OpCode.GruCell, 3, 3).SetArgDisplayNames("GruCell");
        yield return new TestCaseData((int)OpCode.LstmCellState, 4, 3).SetArgDisplayNames("LstmCellState");
        yield return new TestCaseData((int)OpCode.LstmCellOutput, 4, 2).SetArgDisplayNames("LstmCellOutput");
    }

    private static Tensor Apply(int op, int gates, int saved, Tensor gi, Tensor gh, Tensor state, Tensor weights) =>
        (Functional.RecurrentGates((OpCode)op, gi, gh, state, 3, saved) * weights).Sum();

    [TestCaseSource(nameof(Ops))]
    public void GradCheck_EveryInput(int op, int gates, int saved)
    {
        using var arena = new Arena();
        Tensor gi = Values(arena, [2, gates * 3], 1), gh = Values(arena, [2, gates * 3], 2), s = Values(arena, [2, 3], 3);
        Tensor w = arena.FromData([0.3f, -1.2f, 0.8f, 1.5f, -0.4f, 0.9f], [2, 3]);
        GradCheckResult result = Autograd.GradCheck(t => Apply(op, gates, saved, t[0], t[1], t[2], w), [gi, gh, s],
            epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [TestCaseSource(nameof(Ops))]
    public void GraphRule_GivesTheFusedRulesGradients(int op, int gates, int saved)
    {
        using var arena = new Arena();
        Tensor gi = Values(arena, [2, gates * 3], 4), gh = Values(arena, [2, gates * 3], 5), s = Values(arena, [2, 3], 6);
        Tensor w = arena.FromData([0.3f, -1.2f, 0.8f, 1.5f, -0.4f, 0.9f], [2, 3]);
        Tensor?[] fused = Autograd.Grad([Apply(op, gates, saved, gi, gh, s, w)], [gi, gh, s]);
        Tensor?[] graph = Autograd.Grad([Apply(op, gates, saved, gi, gh, s, w)], [gi, gh, s], createGraph: true);
        for (int i = 0; i < 3; i++)
        {
            float[] a = fused[i]!.Value.ToArray(), b = graph[i]!.Value.ToArray();
            for (int k = 0; k < a.Length; k++) Assert.That(b[k], Is.EqualTo(a[k]).Within(1e-6 + 1e-5 * Math.Abs(a[k])), $"input {i}[{k}]");
        }
    }

    /// <summary>Double backward: d/dx of Σ v·∂L/∂(inputs), checked by gradcheck on the first-order gradient itself.</summary>
    [TestCaseSource(nameof(Ops))]
    public void SecondDerivative_MatchesFiniteDifferencesOfTheFirst(int op, int gates, int saved)
    {
        using var arena = new Arena();
        Tensor gi = Values(arena, [2, gates * 3], 7), gh = Values(arena, [2, gates * 3], 8), s = Values(arena, [2, 3], 9);
        Tensor w = arena.FromData([0.3f, -1.2f, 0.8f, 1.5f, -0.4f, 0.9f], [2, 3]);
        Tensor vgi = Values(arena, [2, gates * 3], 10).Detach(), vgh = Values(arena, [2, gates * 3], 11).Detach(), vs = Values(arena, [2, 3], 12).Detach();
        GradCheckResult result = Autograd.GradCheck(t =>
        {
            using GradModeScope _ = arena.EnableGrad(); // gradcheck's numeric pass runs under no-grad
            Tensor a = Leaf(t[0]), b = Leaf(t[1]), c = Leaf(t[2]);
            Tensor?[] g = Autograd.Grad([Apply(op, gates, saved, a, b, c, w)], [a, b, c], createGraph: true);
            return (g[0]!.Value * vgi).Sum() + (g[1]!.Value * vgh).Sum() + (g[2]!.Value * vs).Sum();
        }, [gi, gh, s], epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void DoubleBackward_ThroughAGruSequence_MatchesFiniteDifferences()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var gru = new ArenaGrad.Nn.GRU(arena, 2, 3);
        Tensor x = Values(arena, [4, 1, 2], 13);
        GradCheckResult result = Autograd.GradCheck(t =>
        {
            using GradModeScope _ = arena.EnableGrad();
            Tensor input = Leaf(t[0]);
            Tensor y = gru.Forward(input).Output;
            Tensor dx = Autograd.Grad(y.Square().Sum(), input, createGraph: true);
            return dx.Square().Sum(); // a gradient penalty
        }, [x], epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(result.Passed, Is.True, result.ToString());
    }
}
