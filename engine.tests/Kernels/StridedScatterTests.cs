using System;
using ArenaGrad.Kernels;
using NUnit.Framework;

namespace ArenaGrad.Tests.Kernels;

/// <summary>StridedScatter (slice, select and split backward, repeat's tiles) against a scalar reference: windows of a
/// larger buffer with steps, inner rows of every length 0..70 (across every vector width and its tail), copy and
/// accumulate, special values planted, and the elements outside the window untouched.</summary>
public class StridedScatterTests
{
    [Test]
    public void RandomWindows_MatchTheScalarReference()
    {
        var rng = new Random(1216);
        for (int trial = 0; trial < 400; trial++)
        {
            int rank = 1 + rng.Next(4);
            var shape = new int[rank];
            var steps = new int[rank];
            var full = new int[rank];
            for (int k = 0; k < rank; k++)
            {
                shape[k] = k == rank - 1 ? rng.Next(71) : rng.Next(4);
                steps[k] = trial % 3 == 0 && k == rank - 1 ? 1 : 1 + rng.Next(3);
                full[k] = Math.Max(shape[k] * steps[k], 1) + rng.Next(3);
            }
            int[] fullStrides = KernelAssert.Contiguous(full);
            var strides = new int[rank];
            int offset = 0;
            for (int k = 0; k < rank; k++)
            {
                strides[k] = fullStrides[k] * steps[k];
                if (shape[k] > 0) offset += rng.Next(full[k] - (shape[k] - 1) * steps[k]) * fullStrides[k];
            }
            float[] src = KernelAssert.Random(rng, KernelAssert.Count(shape), -2, 2);
            for (int i = 0; i < src.Length; i += 7) src[i] = KernelAssert.Specials[i % KernelAssert.Specials.Length];
            float[] before = KernelAssert.Random(rng, KernelAssert.Count(full), -2, 2);

            float[] copied = (float[])before.Clone(), added = (float[])before.Clone();
            float[] expectCopied = (float[])before.Clone(), expectAdded = (float[])before.Clone();
            StridedScatter.Copy(src, copied.AsSpan(offset), strides, shape, accumulate: false);
            StridedScatter.Copy(src, added.AsSpan(offset), strides, shape, accumulate: true);
            for (int i = 0; i < src.Length; i++)
            {
                int at = offset + KernelAssert.Offset(i, shape, strides);
                expectCopied[at] = src[i];
                expectAdded[at] = before[at] + src[i];
            }
            for (int i = 0; i < before.Length; i++)
            {
                KernelAssert.Same(copied[i], expectCopied[i], $"trial {trial} copy at {i}");
                KernelAssert.Same(added[i], expectAdded[i], $"trial {trial} accumulate at {i}");
            }
        }
    }

    [Test]
    public void Rank0_WritesOneElement()
    {
        float[] dst = [5f, 6f];
        StridedScatter.Copy([2f], dst.AsSpan(1), [], [], accumulate: true);
        Assert.That(dst, Is.EqualTo(new[] { 5f, 8f }));
    }

    [Test]
    public void WindowPastTheBuffer_IsRefused() // elements 0, 3, 6 of a buffer of 5
    {
        var dst = new float[5];
        Assert.Throws<ArgumentException>(() => StridedScatter.Copy(new float[3], dst, [3], [3], accumulate: false));
    }
}
