using System;

namespace ArenaGrad.Tests.Reliability;

/// <summary>Scalar, obviously-ordered restatements of the engine's cascade sums (engine/Kernels/PairwiseSum.cs).
/// The kernels must match them bit for bit on every vector width; .ci/run runs the tests under each.</summary>
internal static class CascadeReference
{
    private const int LeafBlocks = 16;
    private const int LeafRows = 16;

    /// <summary>Lanes j = 0..15 of each leaf (16 blocks of 16) summed in index order, the zero-padded tail as one
    /// more leaf, leaves joined as a binary counter (earlier on the left), unpaired ones lowest level first,
    /// then ((s[j] + s[j+8]) + (s[j+4] + s[j+12])) and (q0 + q2) + (q1 + q3).</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        var leaves = new System.Collections.Generic.List<float[]>();
        int blocks = x.Length / 16 * 16;
        for (int start = 0; start < blocks; start += 16 * LeafBlocks)
        {
            int end = Math.Min(start + 16 * LeafBlocks, blocks);
            var lanes = new float[16];
            for (int j = 0; j < 16; j++) lanes[j] = x[start + j];
            for (int i = start + 16; i < end; i += 16)
                for (int j = 0; j < 16; j++) lanes[j] += x[i + j];
            leaves.Add(lanes);
        }
        if (blocks != x.Length)
        {
            var tail = new float[16];
            for (int i = blocks; i < x.Length; i++) tail[i - blocks] = x[i];
            leaves.Add(tail);
        }
        if (leaves.Count == 0) return 0f;
        float[] s = JoinAll(leaves, 16);
        var q = new float[4];
        for (int j = 0; j < 4; j++) q[j] = (s[j] + s[j + 8]) + (s[j + 4] + s[j + 12]);
        return (q[0] + q[2]) + (q[1] + q[3]);
    }

    /// <summary>Per column c: rows added in index order within leaves of 16 rows, leaves joined as in <see cref="Sum"/>.</summary>
    public static float Column(Func<int, float> row, int rows)
    {
        var leaves = new System.Collections.Generic.List<float[]>();
        for (int d0 = 0; d0 < rows; d0 += LeafRows)
        {
            float s = row(d0);
            for (int d = d0 + 1; d < Math.Min(d0 + LeafRows, rows); d++) s += row(d);
            leaves.Add([s]);
        }
        return leaves.Count == 0 ? 0f : JoinAll(leaves, 1)[0];
    }

    /// <summary>The binary-counter join, written as the explicit recursion it implements: leaves are paired
    /// (0,1), (2,3), ... level by level from the left; a leftover leaf waits for the final combine, where the
    /// leftovers join lowest level (rightmost) first: s = left + s.</summary>
    private static float[] JoinAll(System.Collections.Generic.List<float[]> leaves, int width)
    {
        var pending = new float[32][];
        uint count = 0;
        foreach (float[] leaf in leaves)
        {
            float[] v = leaf;
            int level = 0;
            for (uint carry = count; (carry & 1) != 0; carry >>= 1, level++) v = Add(pending[level], v, width);
            pending[level] = v;
            count++;
        }
        float[]? s = null;
        for (int level = 0; level < 32; level++)
            if ((count & (1u << level)) != 0) s = s is null ? pending[level] : Add(pending[level], s, width);
        return s!;
    }

    private static float[] Add(float[] a, float[] b, int width)
    {
        var r = new float[width];
        for (int j = 0; j < width; j++) r[j] = a[j] + b[j];
        return r;
    }
}
