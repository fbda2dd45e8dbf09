namespace ArenaGrad.Tests.Ops;

/// <summary>Compares backward's gradients with central finite differences of the same program.</summary>
internal static class GradCheck
{
    /// <summary>A program from input tensors to any tensor; it is reduced to a scalar with fixed random weights.</summary>
    public delegate Tensor Program(ReadOnlySpan<Tensor> inputs);

    /// <summary>Inputs are drawn in ±[0.3, 1.5] (away from the kinks of relu/abs at 0), or [0.3, 1.5] when <paramref name="positive"/>.</summary>
    public static void Run(Program program, int[][] shapes, bool positive = false, int seed = 1)
    {
        var random = new Random(seed);
        float[][] values = shapes.Select(s => Enumerable.Range(0, s.Aggregate(1, (a, b) => a * b))
            .Select(_ => (float)((0.3 + 1.2 * random.NextDouble()) * (positive || random.Next(2) == 0 ? 1 : -1))).ToArray()).ToArray();

        using var arena = new Arena();
        float[] weights;
        float[][] analytic = new float[shapes.Length][];
        {
            Tensor[] inputs = values.Select((v, i) => arena.FromData(v, shapes[i], requiresGrad: true)).ToArray();
            Tensor output = program(inputs);
            weights = Enumerable.Range(0, output.Count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            (output * arena.FromData(weights, output.Shape)).Sum().Backward();
            for (int i = 0; i < inputs.Length; i++)
                analytic[i] = inputs[i].Grad is Tensor g ? g.ToArray() : new float[values[i].Length];
        }

        double Evaluate()
        {
            using (arena.Scope())
            using (arena.NoGrad())
            {
                Tensor[] inputs = values.Select((v, i) => arena.FromData(v, shapes[i])).ToArray();
                float[] output = program(inputs).ToArray();
                double total = 0;
                for (int j = 0; j < output.Length; j++) total += (double)output[j] * weights[j];
                return total;
            }
        }

        const float Epsilon = 1e-2f;
        for (int i = 0; i < values.Length; i++)
        {
            for (int k = 0; k < values[i].Length; k++)
            {
                float original = values[i][k];
                values[i][k] = original + Epsilon;
                double plus = Evaluate();
                values[i][k] = original - Epsilon;
                double minus = Evaluate();
                values[i][k] = original;
                double numeric = (plus - minus) / (2 * Epsilon);
                Assert.That(analytic[i][k], Is.EqualTo(numeric).Within(3e-3 + 3e-2 * Math.Abs(numeric)),
                    $"d/d input{i}[{k}]");
            }
        }
    }
}
