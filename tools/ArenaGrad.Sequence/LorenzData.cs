using System;

namespace ArenaGrad.Sequence;

/// <summary>
/// The training and test trajectories in the units the network sees: each coordinate standardized with the training
/// trajectory's mean and deviation, and each one-step change divided by the training changes' deviation (the network
/// predicts the next change, which is small next to the state).
/// </summary>
internal sealed class LorenzData
{
    private LorenzData(float[] train, float[] test, double[] mean, double[] scale, float[] deltaScale)
    {
        Train = train;
        Test = test;
        Mean = mean;
        Scale = scale;
        DeltaScale = deltaScale;
    }

    /// <summary>Standardized training states, [samples, 3] row-major.</summary>
    public float[] Train { get; }

    /// <summary>Standardized test states from a later stretch of the attractor, [samples, 3].</summary>
    public float[] Test { get; }

    /// <summary>Per-coordinate mean of the training states.</summary>
    public double[] Mean { get; }

    /// <summary>Per-coordinate deviation of the training states.</summary>
    public double[] Scale { get; }

    /// <summary>Per-coordinate deviation of the standardized one-step changes: the network's output is multiplied by it.</summary>
    public float[] DeltaScale { get; }

    /// <summary>Integrates both trajectories and standardizes them.</summary>
    public static LorenzData Make(SequenceOptions options, int testSamples)
    {
        double[] raw = Lorenz.Trajectory(options.TrainSamples + testSamples + 5_000, options.Dt, transient: 1_000);
        int n = options.TrainSamples;
        var mean = new double[3];
        var scale = new double[3];
        for (int c = 0; c < 3; c++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < n; i++) sum += raw[3 * i + c];
            mean[c] = sum / n;
            for (int i = 0; i < n; i++) squares += (raw[3 * i + c] - mean[c]) * (raw[3 * i + c] - mean[c]);
            scale[c] = Math.Sqrt(squares / n);
        }
        float[] Standardize(int start, int count)
        {
            var states = new float[count * 3];
            for (int i = 0; i < count; i++)
                for (int c = 0; c < 3; c++)
                    states[3 * i + c] = (float)((raw[3 * (start + i) + c] - mean[c]) / scale[c]);
            return states;
        }
        float[] train = Standardize(0, n);
        // The test stretch starts 5,000 samples after the training one ends: unseen, on the same attractor.
        float[] test = Standardize(n + 5_000, testSamples);
        var deltaScale = new float[3];
        for (int c = 0; c < 3; c++)
        {
            double squares = 0;
            for (int i = 0; i + 1 < n; i++)
            {
                double d = train[3 * (i + 1) + c] - train[3 * i + c];
                squares += d * d;
            }
            deltaScale[c] = (float)Math.Sqrt(squares / (n - 1));
        }
        return new LorenzData(train, test, mean, scale, deltaScale);
    }
}
