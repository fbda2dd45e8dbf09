namespace ArenaGrad.Tests.Ops;

/// <summary>The shape and index families' GradCheck: inputs drawn in ±[0.3, 1.5], all requiring grad, and every
/// element checked.</summary>
internal static class GradCheckInputs
{
    public static void Check(TensorFunction program, int[][] shapes, int seed)
    {
        var random = new Random(seed);
        using var arena = new Arena();
        var inputs = new Tensor[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            float[] values = Enumerable.Range(0, shapes[i].Aggregate(1, (a, b) => a * b))
                .Select(_ => (float)((0.3 + 1.2 * random.NextDouble()) * (random.Next(2) == 0 ? 1 : -1))).ToArray();
            inputs[i] = arena.FromData(values, shapes[i], requiresGrad: true);
        }
        GradCheckResult result = Autograd.GradCheck(program, inputs, epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.CheckedElements, Is.EqualTo(shapes.Sum(s => s.Aggregate(1, (a, b) => a * b))));
    }
}
