using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

/// <summary>
/// F.layer_norm over rows of n floats: one pass for each row's mean and variance, one pass that normalizes (and scales
/// and shifts), and a fused backward that gives dx, dweight and dbias from one read of g and x per row.
/// </summary>
/// <remarks>Every width gives the same bits: a row's sums are spread over <see cref="Spread"/> accumulators (element i
/// goes to accumulator i mod 16, whatever the vector width: one Vector512, two Vector256, four Vector128 or sixteen
/// floats), the tail past the last whole group of 16 goes to one float, and the accumulators are combined in one fixed
/// tree. The elementwise passes apply the same IEEE operations, unfused, lane by lane.</remarks>
internal static unsafe class LayerNormKernels
{
    /// <summary>Accumulators per row sum (the widest vector's lane count).</summary>
    internal const int Spread = 16;

    /// <summary>y = (x − mean)·rstd [·weight] [+ bias] for each of <paramref name="rows"/> rows of <paramref name="n"/>;
    /// writes each row's statistics into <paramref name="stats"/> ([rows, 3]: the shift x[0], the mean's offset from it,
    /// and rstd = 1/√(var + eps), biased variance) unless it is null. Null weight or bias: none.</summary>
    /// <remarks>x − mean is computed as (x − shift) − offset: x − x[0] is exact for values near each other, so a row
    /// whose mean is large against its spread keeps its precision (a float mean of 1000 alone is off by up to 3e-5).</remarks>
    public static void Forward(float* x, float* weight, float* bias, float* y, float* stats, int rows, int n, float eps)
    {
        if (Vector512.IsHardwareAccelerated) Forward<Vector512<float>, Lanes512>(x, weight, bias, y, stats, rows, n, eps);
        else if (Vector256.IsHardwareAccelerated) Forward<Vector256<float>, Lanes256>(x, weight, bias, y, stats, rows, n, eps);
        else if (Vector128.IsHardwareAccelerated) Forward<Vector128<float>, Lanes128>(x, weight, bias, y, stats, rows, n, eps);
        else Forward<float, ScalarLanes>(x, weight, bias, y, stats, rows, n, eps);
    }

    /// <summary>The fused backward over rows: with ĝ = g·weight (g without a weight) and x̂ = (x − mean)·rstd,
    /// dx += rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dweight += Σ_rows g·x̂, dbias += Σ_rows g. Null dx, dweight or dbias:
    /// that gradient is not wanted. <paramref name="stats"/> holds the forward's shift, offset and rstd per row.</summary>
    public static void Backward(float* g, float* x, float* weight, float* stats, float* dx, float* dweight, float* dbias, int rows, int n)
    {
        if (Vector512.IsHardwareAccelerated) Backward<Vector512<float>, Lanes512>(g, x, weight, stats, dx, dweight, dbias, rows, n);
        else if (Vector256.IsHardwareAccelerated) Backward<Vector256<float>, Lanes256>(g, x, weight, stats, dx, dweight, dbias, rows, n);
        else if (Vector128.IsHardwareAccelerated) Backward<Vector128<float>, Lanes128>(g, x, weight, stats, dx, dweight, dbias, rows, n);
        else Backward<float, ScalarLanes>(g, x, weight, stats, dx, dweight, dbias, rows, n);
    }

    /// <summary><see cref="Forward(float*, float*, float*, float*, float*, int, int, float)"/> at one width (tests run every width).</summary>
    internal static void Forward<TV, TL>(float* x, float* weight, float* bias, float* y, float* stats, int rows, int n, float eps)
        where TV : unmanaged where TL : ILanes<TV>
    {
        // the accumulators, taken once (a stackalloc inside the row loop would grow the stack every row)
        TV* accumulators = stackalloc TV[2 * (Spread / TL.Count)];
        float* lanes = stackalloc float[Spread];
        for (int r = 0; r < rows; r++)
        {
            float* row = x + (long)r * n, output = y + (long)r * n;
            Moments<TV, TL>(row, n, eps, accumulators, lanes, out float shift, out float offset, out float rstd);
            if (stats != null)
            {
                stats[3L * r] = shift;
                stats[3L * r + 1] = offset;
                stats[3L * r + 2] = rstd;
            }
            TV shiftV = TL.Create(shift), offsetV = TL.Create(offset), rstdV = TL.Create(rstd);
            int i = 0;
            for (; i + TL.Count <= n; i += TL.Count)
            {
                TV v = TL.Multiply(TL.Subtract(TL.Subtract(TL.Load(row + i), shiftV), offsetV), rstdV);
                if (weight != null) v = TL.Multiply(v, TL.Load(weight + i));
                if (bias != null) v = TL.Add(v, TL.Load(bias + i));
                TL.Store(v, output + i);
            }
            for (; i < n; i++)
            {
                float v = ((row[i] - shift) - offset) * rstd;
                if (weight != null) v *= weight[i];
                if (bias != null) v += bias[i];
                output[i] = v;
            }
        }
    }

    /// <summary><see cref="Backward(float*, float*, float*, float*, float*, float*, float*, int, int)"/> at one width.</summary>
    internal static void Backward<TV, TL>(float* g, float* x, float* weight, float* stats, float* dx, float* dweight, float* dbias, int rows, int n)
        where TV : unmanaged where TL : ILanes<TV>
    {
        TV* accumulators = stackalloc TV[2 * (Spread / TL.Count)];
        float* lanes = stackalloc float[Spread];
        for (int r = 0; r < rows; r++)
        {
            float* gRow = g + (long)r * n, xRow = x + (long)r * n;
            float shift = stats[3L * r], offset = stats[3L * r + 1], rstd = stats[3L * r + 2];
            if (dx != null)
            {
                // Σĝ and Σĝ·x̂, spread over the same 16 accumulators as the forward's moments
                RowSums<TV, TL>(gRow, xRow, weight, shift, offset, rstd, n, accumulators, lanes, out float sumG, out float sumGX);
                float meanG = sumG / n, meanGX = sumGX / n;
                float* dxRow = dx + (long)r * n;
                TV shiftV = TL.Create(shift), offsetV = TL.Create(offset), rstdV = TL.Create(rstd), meanGV = TL.Create(meanG), meanGXV = TL.Create(meanGX);
                int i = 0;
                for (; i + TL.Count <= n; i += TL.Count)
                {
                    TV gv = TL.Load(gRow + i);
                    if (weight != null) gv = TL.Multiply(gv, TL.Load(weight + i));
                    TV xhat = TL.Multiply(TL.Subtract(TL.Subtract(TL.Load(xRow + i), shiftV), offsetV), rstdV);
                    TV d = TL.Multiply(rstdV, TL.Subtract(TL.Subtract(gv, meanGV), TL.Multiply(xhat, meanGXV)));
                    TL.Store(TL.Add(TL.Load(dxRow + i), d), dxRow + i);
                }
                for (; i < n; i++)
                {
                    float gv = gRow[i];
                    if (weight != null) gv *= weight[i];
                    float xhat = ((xRow[i] - shift) - offset) * rstd;
                    dxRow[i] += rstd * ((gv - meanG) - xhat * meanGX);
                }
            }
            if (dweight != null || dbias != null)
            {
                TV shiftV = TL.Create(shift), offsetV = TL.Create(offset), rstdV = TL.Create(rstd);
                int i = 0;
                for (; i + TL.Count <= n; i += TL.Count)
                {
                    TV gv = TL.Load(gRow + i);
                    if (dweight != null)
                    {
                        TV xhat = TL.Multiply(TL.Subtract(TL.Subtract(TL.Load(xRow + i), shiftV), offsetV), rstdV);
                        TL.Store(TL.Add(TL.Load(dweight + i), TL.Multiply(gv, xhat)), dweight + i);
                    }
                    if (dbias != null) TL.Store(TL.Add(TL.Load(dbias + i), gv), dbias + i);
                }
                for (; i < n; i++)
                {
                    if (dweight != null) dweight[i] += gRow[i] * (((xRow[i] - shift) - offset) * rstd);
                    if (dbias != null) dbias[i] += gRow[i];
                }
            }
        }
    }

    /// <summary>A row's mean, as shift = x[0] plus offset, and rstd = 1/√(var + eps), in one pass: sums of d = x − x[0]
    /// and d² (shifting by the first element keeps E[d²] − E[d]² from cancelling when the mean is large against the
    /// spread), finished in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Moments<TV, TL>(float* x, int n, float eps, TV* accumulators, float* lanes, out float shift, out float offset, out float rstd)
        where TV : unmanaged where TL : ILanes<TV>
    {
        shift = n > 0 ? x[0] : 0f;
        int groups = Spread / TL.Count;
        TV* s1 = accumulators, s2 = accumulators + groups;
        TV zero = TL.Create(0f), shiftV = TL.Create(shift);
        for (int k = 0; k < groups; k++) { s1[k] = zero; s2[k] = zero; }
        int whole = n - n % Spread;
        for (int i = 0; i < whole; i += Spread)
            for (int k = 0; k < groups; k++)
            {
                TV d = TL.Subtract(TL.Load(x + i + k * TL.Count), shiftV);
                s1[k] = TL.Add(s1[k], d);
                s2[k] = TL.Add(s2[k], TL.Multiply(d, d));
            }
        float tail1 = 0f, tail2 = 0f;
        for (int i = whole; i < n; i++)
        {
            float d = x[i] - shift;
            tail1 += d;
            tail2 += d * d;
        }
        double sum1 = Combine<TV, TL>(s1, lanes) + (double)tail1, sum2 = Combine<TV, TL>(s2, lanes) + (double)tail2;
        double m = n > 0 ? sum1 / n : double.NaN;
        double variance = n > 0 ? Math.Max(sum2 / n - m * m, 0.0) : double.NaN;
        offset = (float)m;
        rstd = 1f / MathF.Sqrt((float)variance + eps);
    }

    /// <summary>Σĝ and Σĝ·x̂ over a row (ĝ = g·weight, x̂ = ((x − shift) − offset)·rstd), spread as the moments are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowSums<TV, TL>(float* g, float* x, float* weight, float shift, float offset, float rstd, int n,
        TV* accumulators, float* lanes, out float sumG, out float sumGX)
        where TV : unmanaged where TL : ILanes<TV>
    {
        int groups = Spread / TL.Count;
        TV* s1 = accumulators, s2 = accumulators + groups;
        TV zero = TL.Create(0f), shiftV = TL.Create(shift), offsetV = TL.Create(offset), rstdV = TL.Create(rstd);
        for (int k = 0; k < groups; k++) { s1[k] = zero; s2[k] = zero; }
        int whole = n - n % Spread;
        for (int i = 0; i < whole; i += Spread)
            for (int k = 0; k < groups; k++)
            {
                int at = i + k * TL.Count;
                TV gv = TL.Load(g + at);
                if (weight != null) gv = TL.Multiply(gv, TL.Load(weight + at));
                TV xhat = TL.Multiply(TL.Subtract(TL.Subtract(TL.Load(x + at), shiftV), offsetV), rstdV);
                s1[k] = TL.Add(s1[k], gv);
                s2[k] = TL.Add(s2[k], TL.Multiply(gv, xhat));
            }
        float tail1 = 0f, tail2 = 0f;
        for (int i = whole; i < n; i++)
        {
            float gv = g[i];
            if (weight != null) gv *= weight[i];
            tail1 += gv;
            tail2 += gv * (((x[i] - shift) - offset) * rstd);
        }
        sumG = (float)(Combine<TV, TL>(s1, lanes) + (double)tail1);
        sumGX = (float)(Combine<TV, TL>(s2, lanes) + (double)tail2);
    }

    /// <summary>The 16 accumulators' total, added in one fixed tree (8 pairs, 4, 2, 1) whatever the width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Combine<TV, TL>(TV* accumulators, float* lanes) where TV : unmanaged where TL : ILanes<TV>
    {
        int groups = Spread / TL.Count;
        for (int k = 0; k < groups; k++) TL.Store(accumulators[k], lanes + k * TL.Count);
        for (int width = Spread / 2; width >= 1; width /= 2)
            for (int j = 0; j < width; j++) lanes[j] += lanes[j + width];
        return lanes[0];
    }
}
