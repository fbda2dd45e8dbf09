namespace ArenaGrad;

public static partial class Autograd
{
    private const int ProjectionSeed = 20240613;

    /// <summary><c>torch.autograd.gradcheck</c>: compares the gradients backward computes for <paramref name="function"/>
    /// with central finite differences, for every element of every input that requires grad, and reports the worst one.</summary>
    /// <remarks>
    /// <para>A non-scalar output is reduced to a scalar with a fixed pseudo-random projection (weights in ±[0.5, 1.5],
    /// the same on every call), so one backward pass gives the analytic gradient of that weighted sum; a one-element
    /// output is used as it is.</para>
    /// <para>The function runs on copies of the inputs made inside an arena scope, so <paramref name="inputs"/>, their
    /// gradients and every other tensor's gradient are left as they were (gradients the backward pass adds to tensors
    /// the function captures are taken back). Captured tensors are constants to the check; pass as inputs whatever
    /// must be checked. Inputs that do not require grad are held fixed (frozen branches).</para>
    /// <para>Limits: the engine computes in float32 only. The function is evaluated in float32 at x ± ε (the two points
    /// rounded to float32); their difference and the projection are formed in double, so the numeric derivative carries
    /// float32 rounding noise of about 1e-7·|f|/ε plus truncation error of order ε²·f'''. With the default ε = 1e-3 expect
    /// agreement to roughly 1e-3 relative, not PyTorch's float64 1e-5: hence the looser default tolerances. Inputs within ε of a
    /// kink (relu, abs, clamp and max ties, the pole of log or 1/x) give meaningless numeric derivatives; keep them away.
    /// The function must be deterministic (no random factories inside).</para>
    /// </remarks>
    /// <param name="function">The program: from the inputs, in order, to any tensor of the same arena.</param>
    /// <param name="inputs">The point to check at; those that require grad are differentiated.</param>
    /// <param name="epsilon">Finite-difference step.</param>
    /// <param name="absoluteTolerance">atol in |analytic − numeric| ≤ atol + rtol·|numeric|.</param>
    /// <param name="relativeTolerance">rtol in the same test.</param>
    /// <returns>Whether every element passed, and the worst element (largest error relative to its tolerance).</returns>
    /// <exception cref="ArgumentException">No inputs, none requiring grad (PyTorch's message), a tensor of another arena,
    /// or a non-positive step or negative tolerance.</exception>
    /// <exception cref="InvalidOperationException">The function's output changed element count between calls.</exception>
    public static GradCheckResult GradCheck(TensorFunction function, ReadOnlySpan<Tensor> inputs,
        float epsilon = 1e-3f, double absoluteTolerance = 1e-2, double relativeTolerance = 1e-2)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (inputs.Length == 0) throw new ArgumentException("gradcheck expects at least one input tensor, but got none.", nameof(inputs));
        if (!(epsilon > 0f) || !float.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be a positive finite step.");
        if (!(absoluteTolerance >= 0) || !(relativeTolerance >= 0))
            throw new ArgumentOutOfRangeException(nameof(absoluteTolerance), "Tolerances must be non-negative.");

        Arena arena = inputs[0].Arena;
        int count = inputs.Length;
        var values = new float[count][];
        var shapes = new int[count][];
        var differentiated = new bool[count];
        bool any = false;
        for (int i = 0; i < count; i++)
        {
            arena.OwnSlot(inputs[i]);
            values[i] = inputs[i].ToArray();
            shapes[i] = inputs[i].Shape.ToArray();
            differentiated[i] = inputs[i].RequiresGrad;
            any |= differentiated[i];
        }
        if (!any)
            throw new ArgumentException(
                "gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.", nameof(inputs));

        float[] weights;
        var analytic = new float[count][];
        var snapshot = arena.SnapshotGradients();
        using (arena.Scope())
        using (arena.EnableGrad())
        {
            var copies = new Tensor[count];
            for (int i = 0; i < count; i++) copies[i] = arena.FromData(values[i], shapes[i], differentiated[i]);
            Tensor output = function(copies);
            arena.OwnSlot(output);
            weights = Projection(output.Count);
            if (output.RequiresGrad)
            {
                try
                {
                    output.Backward(arena.FromData(weights, output.Shape), retainGraph: true);
                    for (int i = 0; i < count; i++)
                        analytic[i] = differentiated[i] && copies[i].Grad is Tensor g ? g.ToArray() : new float[values[i].Length];
                }
                finally
                {
                    arena.RestoreGradients(snapshot);
                }
            }
            else
            {
                for (int i = 0; i < count; i++) analytic[i] = new float[values[i].Length];
            }
        }

        var worst = new GradCheckResult(true, -1, -1, 0, 0, 0, 0, 0);
        double worstRatio = -1;
        int checkedElements = 0;
        using (arena.Scope())
        using (arena.NoGrad())
        {
            var copies = new Tensor[count];
            for (int i = 0; i < count; i++) copies[i] = arena.FromData(values[i], shapes[i]);
            for (int i = 0; i < count; i++)
            {
                if (!differentiated[i]) continue;
                int slot = copies[i].Slot;
                for (int k = 0; k < values[i].Length; k++)
                {
                    float original = values[i][k];
                    float plus = original + epsilon, minus = original - epsilon;
                    arena.Values(slot)[k] = plus;
                    double fPlus = Evaluate(arena, function, copies, weights);
                    arena.Values(slot)[k] = minus;
                    double fMinus = Evaluate(arena, function, copies, weights);
                    arena.Values(slot)[k] = original;
                    double numeric = (fPlus - fMinus) / ((double)plus - minus);
                    double analyticValue = analytic[i][k];
                    double error = Math.Abs(analyticValue - numeric);
                    double tolerance = absoluteTolerance + relativeTolerance * Math.Abs(numeric);
                    double ratio = double.IsNaN(error) ? double.PositiveInfinity
                        : tolerance > 0 ? error / tolerance
                        : error > 0 ? double.PositiveInfinity : 0;
                    checkedElements++;
                    if (ratio > worstRatio)
                    {
                        worstRatio = ratio;
                        worst = new GradCheckResult(false, i, k, analyticValue, numeric, error, tolerance, 0);
                    }
                }
            }
        }
        // No element at all (every differentiated input is empty) passes, as PyTorch's does.
        return worst with { Passed = worstRatio <= 1.0, CheckedElements = checkedElements };
    }

    /// <summary>The projected output Σ wⱼ·f(x)ⱼ, in double, of one evaluation inside a scope.</summary>
    private static double Evaluate(Arena arena, TensorFunction function, Tensor[] inputs, float[] weights)
    {
        using (arena.Scope())
        {
            Tensor output = function(inputs);
            ReadOnlySpan<float> values = arena.Values(arena.OwnSlot(output));
            if (values.Length != weights.Length)
                throw new InvalidOperationException(
                    $"gradcheck: the function returned {values.Length} elements for perturbed inputs but {weights.Length} at the start; it must return the same shape every time.");
            double total = 0;
            for (int j = 0; j < values.Length; j++) total += (double)values[j] * weights[j];
            return total;
        }
    }

    /// <summary>Fixed weights for reducing a non-scalar output; 1 for a one-element output.</summary>
    private static float[] Projection(int length)
    {
        if (length == 1) return [1f];
        var random = new Random(ProjectionSeed);
        var weights = new float[length];
        for (int j = 0; j < length; j++)
            weights[j] = (float)((0.5 + random.NextDouble()) * (random.Next(2) == 0 ? 1 : -1));
        return weights;
    }
}
