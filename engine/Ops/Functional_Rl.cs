using System.Collections.Generic;
using System.Numerics;

namespace ArenaGrad;

// Helpers of reinforcement-learning trainers that act on whole parameter lists.
public static partial class Functional
{
    /// <summary>target = (1 − τ)·target + τ·source, in place for every pair (Polyak averaging of a target network, as
    /// CleanRL's DQN and SAC write it: <c>tau * p.data + (1 - tau) * t.data</c>, each product rounded to float32, then
    /// the sum). Not recorded (as under <c>torch.no_grad()</c>), so target parameters that require grad are fine; bumps
    /// their version counters. τ = 1 copies, τ = 0 keeps. Allocates nothing.</summary>
    /// <param name="target">The tensors updated, e.g. the target network's <c>Parameters()</c>.</param>
    /// <param name="source">The tensors averaged in, in the same order and shapes, e.g. the online network's parameters.</param>
    /// <param name="tau">τ in [0, 1].</param>
    /// <exception cref="ArgumentException">The lists differ in length (PyTorch's foreach message), a pair differs in
    /// shape, a tensor is not Float32, or τ is outside [0, 1]. Nothing is updated then.</exception>
    /// <exception cref="InvalidOperationException">A target is a read-only borrowed view.</exception>
    public static void PolyakUpdate(IReadOnlyList<Tensor> target, IReadOnlyList<Tensor> source, float tau)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        if (!(tau >= 0f && tau <= 1f))
            throw new ArgumentOutOfRangeException(nameof(tau), tau, $"Expected tau in [0, 1], but got {ShapeMath.FormatScalar(tau)}.");
        if (target.Count != source.Count)
            throw new ArgumentException($"Tensor lists must have the same number of tensors, got {target.Count} and {source.Count}", nameof(source));
        // Every check before the first write: a refused update changes nothing.
        for (int i = 0; i < target.Count; i++)
        {
            Tensor t = target[i], s = source[i];
            Arena arena = t.Arena;
            int slot = t.Slot;
            if (t.DType != DType.Float32 || s.DType != DType.Float32)
                throw new ArgumentException(
                    $"PolyakUpdate expects Float32 tensors, but target[{i}] is {t.DType} and source[{i}] is {s.DType}.", nameof(target));
            if (!t.Shape.SequenceEqual(s.Shape))
                throw new ArgumentException(
                    $"PolyakUpdate expects target[{i}] and source[{i}] to have the same shape, but got {ShapeMath.Format(t.Shape)} and {ShapeMath.Format(s.Shape)}.",
                    nameof(source));
            arena.ThrowIfCapturing(Capture.CaptureRefusal.InPlace, "PolyakUpdate");
            arena.ThrowIfReadOnly(slot, "modified in place");
        }
        // The coefficients as PyTorch rounds Python's doubles: (1 - tau) is formed in double, then each scalar becomes float32.
        double tauDouble = Nn.PythonFloat.ToDouble(tau);
        float keep = (float)(1.0 - tauDouble), take = (float)tauDouble;
        for (int i = 0; i < target.Count; i++)
        {
            Tensor t = target[i], s = source[i];
            Arena arena = t.Arena;
            Blend(arena.Values(t.Slot), s.Arena.Values(s.Slot), keep, take);
            arena.BumpVersion(t.Slot);
        }
    }

    private static void Blend(Span<float> target, ReadOnlySpan<float> source, float keep, float take)
    {
        // take·s + keep·t: two products and a sum, each rounded (no fused multiply-add), so every vector width gives the same bits.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var keepV = new Vector<float>(keep);
            var takeV = new Vector<float>(take);
            for (; i <= target.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var t = new Vector<float>(target[i..]);
                var s = new Vector<float>(source[i..]);
                (takeV * s + keepV * t).CopyTo(target[i..]);
            }
        }
        for (; i < target.Length; i++) target[i] = take * source[i] + keep * target[i];
    }
}
