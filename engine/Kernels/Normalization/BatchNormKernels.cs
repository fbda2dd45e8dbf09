namespace ArenaGrad.Kernels;

/// <summary>Batch normalization over x viewed as [n, c, s] (s the product of the dims after the channels): per channel,
/// statistics over its n·s values, then y = x·α + β with α = w/√(var + eps), β = b − mean·α, as PyTorch's CPU kernel.</summary>
/// <remarks>Sums are taken in double (PyTorch's accumulate type for float on the CPU), two passes (mean, then squared
/// deviations), in a fixed order: the same bits on every machine and vector width. Plain loops: one body for every width.</remarks>
internal static class BatchNormKernels
{
    /// <summary>Forward. <paramref name="weight"/>, <paramref name="bias"/>, the running buffers and <paramref name="saved"/>
    /// ([mean; invstd], 2c) may be empty. With <paramref name="batchStatistics"/> the batch's mean and biased variance
    /// normalize, and the running buffers (when given) move towards the mean and the unbiased variance by
    /// <paramref name="momentum"/>; without, the running buffers normalize.</summary>
    public static void Forward(ReadOnlySpan<float> x, int n, int c, int s, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        bool batchStatistics, float eps, float momentum, Span<float> runningMean, Span<float> runningVar, Span<float> saved, Span<float> y)
    {
        long m = (long)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            double mean, invstd;
            if (batchStatistics)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                    foreach (float v in x.Slice((i * c + ch) * s, s)) sum += v;
                mean = m == 0 ? double.NaN : sum / m;
                double squares = 0;
                for (int i = 0; i < n; i++)
                    foreach (float v in x.Slice((i * c + ch) * s, s)) squares += (v - mean) * (v - mean);
                invstd = 1 / Math.Sqrt(squares / m + eps);
                if (!runningMean.IsEmpty && m > 0) // an empty batch leaves them (PyTorch returns early)
                {
                    runningMean[ch] = (float)(momentum * mean + (1 - (double)momentum) * runningMean[ch]);
                    runningVar[ch] = (float)(momentum * (squares / (m - 1)) + (1 - (double)momentum) * runningVar[ch]);
                }
            }
            else
            {
                mean = runningMean[ch];
                invstd = 1 / Math.Sqrt(runningVar[ch] + (double)eps);
            }
            if (!saved.IsEmpty)
            {
                saved[ch] = (float)mean;
                saved[c + ch] = (float)invstd;
            }
            double w = weight.IsEmpty ? 1 : weight[ch], b = bias.IsEmpty ? 0 : bias[ch];
            float alpha = (float)(invstd * w), beta = (float)(b - mean * invstd * w);
            for (int i = 0; i < n; i++)
            {
                int at = (i * c + ch) * s;
                ReadOnlySpan<float> xs = x.Slice(at, s);
                Span<float> ys = y.Slice(at, s);
                for (int j = 0; j < s; j++) ys[j] = xs[j] * alpha + beta;
            }
        }
    }

    /// <summary>Backward from g (x's shape) and the saved [mean; invstd]: adds into <paramref name="dx"/>,
    /// <paramref name="dWeight"/> and <paramref name="dBias"/> (each may be empty). With batch statistics dx =
    /// w·invstd·(g − mean(g) − x̂·mean(g·x̂)), the statistics' own dependence on x included; without, dx = g·w·invstd.
    /// dweight = Σ g·x̂, dbias = Σ g.</summary>
    public static void Backward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, int n, int c, int s, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> saved, bool batchStatistics, Span<float> dx, Span<float> dWeight, Span<float> dBias)
    {
        long m = (long)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            double mean = saved[ch], invstd = saved[c + ch];
            double sumG = 0, dot = 0; // Σ g and Σ g·(x − mean)
            for (int i = 0; i < n; i++)
            {
                int at = (i * c + ch) * s;
                ReadOnlySpan<float> gs = g.Slice(at, s), xs = x.Slice(at, s);
                for (int j = 0; j < s; j++)
                {
                    sumG += gs[j];
                    dot += gs[j] * (xs[j] - mean);
                }
            }
            if (!dBias.IsEmpty) dBias[ch] += (float)sumG;
            if (!dWeight.IsEmpty) dWeight[ch] += (float)(dot * invstd);
            if (dx.IsEmpty) continue;
            double w = weight.IsEmpty ? 1 : weight[ch];
            for (int i = 0; i < n; i++)
            {
                int at = (i * c + ch) * s;
                ReadOnlySpan<float> gs = g.Slice(at, s), xs = x.Slice(at, s);
                Span<float> ds = dx.Slice(at, s);
                if (batchStatistics)
                {
                    double k = dot * invstd * invstd / m, gMean = sumG / m, scale = invstd * w;
                    for (int j = 0; j < s; j++) ds[j] += (float)((gs[j] - gMean - (xs[j] - mean) * k) * scale);
                }
                else
                {
                    float scale = (float)(invstd * w);
                    for (int j = 0; j < s; j++) ds[j] += gs[j] * scale;
                }
            }
        }
    }
}
