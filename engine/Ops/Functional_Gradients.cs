using System.Collections.Generic;
using ArenaGrad.Kernels;

namespace ArenaGrad;

// Operations on gradients rather than values (torch.nn.utils).
public static partial class Functional
{
    /// <summary><c>clip_grad_norm_</c>: total = ‖(‖g₁‖, ‖g₂‖, ...)‖₂ over the parameters whose gradient is not null; every
    /// such gradient is scaled in place by min(maxNorm / (total + 1e-6), 1). Returns total, before clipping (0 when no
    /// parameter has a gradient).</summary>
    /// <remarks>Allocates nothing for an array or an <see cref="IReadOnlyList{T}"/> (e.g. <c>Module.Parameters()</c>,
    /// <c>Optimizer.Parameters</c>); any other sequence is copied once.</remarks>
    /// <param name="parameters">The tensors whose gradients to clip.</param>
    /// <param name="maxNorm">The largest total norm kept.</param>
    /// <param name="errorIfNonfinite">Throw instead of scaling when the total is NaN or infinite.</param>
    /// <exception cref="InvalidOperationException">The total is not finite and <paramref name="errorIfNonfinite"/> is set (PyTorch's message).</exception>
    public static float ClipGradNorm(IEnumerable<Tensor> parameters, float maxNorm, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters switch
        {
            Tensor[] array => ClipGradNorm(new ReadOnlySpan<Tensor>(array), maxNorm, errorIfNonfinite),
            IReadOnlyList<Tensor> list => ClipGradNorm(list, maxNorm, errorIfNonfinite),
            _ => ClipGradNorm(new ReadOnlySpan<Tensor>([.. parameters]), maxNorm, errorIfNonfinite),
        };
    }

    /// <inheritdoc cref="ClipGradNorm(IEnumerable{Tensor}, float, bool)"/>
    public static float ClipGradNorm(IReadOnlyList<Tensor> parameters, float maxNorm, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        float sumOfSquares = 0f;
        bool any = false;
        for (int i = 0; i < parameters.Count; i++) any |= AddSquaredNorm(parameters[i], ref sumOfSquares);
        if (!any) return 0f;
        float total = MathF.Sqrt(sumOfSquares);
        float coefficient = ClipCoefficient(total, maxNorm, errorIfNonfinite);
        if (coefficient != 1f)
            for (int i = 0; i < parameters.Count; i++) ScaleGradient(parameters[i], coefficient);
        return total;
    }

    /// <inheritdoc cref="ClipGradNorm(IEnumerable{Tensor}, float, bool)"/>
    public static float ClipGradNorm(ReadOnlySpan<Tensor> parameters, float maxNorm, bool errorIfNonfinite = false)
    {
        float sumOfSquares = 0f;
        bool any = false;
        foreach (Tensor parameter in parameters) any |= AddSquaredNorm(parameter, ref sumOfSquares);
        if (!any) return 0f;
        float total = MathF.Sqrt(sumOfSquares);
        float coefficient = ClipCoefficient(total, maxNorm, errorIfNonfinite);
        if (coefficient != 1f)
            foreach (Tensor parameter in parameters) ScaleGradient(parameter, coefficient);
        return total;
    }

    /// <summary>Adds ‖g‖₂² to the running sum, with ‖g‖₂ rounded to float first as torch.norm's result is. False when grad is None.</summary>
    private static bool AddSquaredNorm(Tensor parameter, ref float sumOfSquares)
    {
        if (parameter.Grad is not Tensor gradient) return false;
        ReadOnlySpan<float> g = gradient.AsSpanUnsafely();
        float norm = MathF.Sqrt(Reductions.Dot(g, g));
        sumOfSquares += norm * norm;
        return true;
    }

    /// <summary>clamp(maxNorm / (total + 1e-6), max=1) in float, NaN kept (so a NaN total poisons the gradients, as in PyTorch).</summary>
    private static float ClipCoefficient(float total, float maxNorm, bool errorIfNonfinite)
    {
        if (errorIfNonfinite && !float.IsFinite(total))
            throw new InvalidOperationException(
                "The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be clipped. To disable " +
                "this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
        float coefficient = maxNorm / (total + 1e-6f);
        return float.IsNaN(coefficient) ? coefficient : MathF.Min(coefficient, 1f);
    }

    private static void ScaleGradient(Tensor parameter, float coefficient)
    {
        if (parameter.Grad is not Tensor gradient) return;
        OptimizerKernels.Scale(gradient.AsSpanUnsafely(), coefficient);
        gradient.Arena.BumpVersion(gradient.Slot); // g.mul_(coef): an in-place change
    }
}
