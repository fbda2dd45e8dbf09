using System;
using System.Globalization;
using ScottPlot;

namespace ArenaGrad.Sequence;

/// <summary>The sequence demo's pictures, drawn with ScottPlot after training.</summary>
internal static class SequencePlots
{
    private static readonly Color[] Coordinates = [Color.FromHex("#1f4e9c"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728")];
    private static readonly string[] Names = ["x", "y", "z"];

    /// <summary>x, y and z of the true test path (thick, faint) and of the GRU running free (thin), in standardized
    /// units and offset so they do not overlap, with a line where the free run stops being valid.</summary>
    public static void Trajectory(string path, float[] truth, float[] predicted, SequenceOptions options, int validSteps)
    {
        var plot = new Plot();
        int n = truth.Length / 3;
        double[] time = new double[n];
        for (int t = 0; t < n; t++) time[t] = t * options.Dt;
        for (int c = 0; c < 3; c++)
        {
            double offset = 6 * (1 - c);
            double[] expected = new double[n], free = new double[n];
            for (int t = 0; t < n; t++)
            {
                expected[t] = truth[3 * t + c] + offset;
                free[t] = Math.Clamp((double)predicted[3 * t + c], -50, 50) + offset; // a diverged run still draws
            }
            var reference = plot.Add.ScatterLine(time, expected, Coordinates[c].WithOpacity(0.35));
            reference.LineWidth = 5;
            reference.LegendText = $"{Names[c]}, simulation";
            var line = plot.Add.ScatterLine(time, free, Coordinates[c]);
            line.LineWidth = 1.5f;
            line.LegendText = $"{Names[c]}, GRU running free";
        }
        var valid = plot.Add.VerticalLine(validSteps * options.Dt, 1.5f, Colors.Black.WithOpacity(0.6));
        valid.LinePattern = LinePattern.Dashed;
        valid.LegendText = string.Create(CultureInfo.InvariantCulture,
            $"valid for {validSteps * options.Dt * Lorenz.LyapunovExponent:0.0} Lyapunov times");
        plot.Title("Lorenz system: simulation and the GRU feeding back its own predictions (standardized, offset)");
        plot.XLabel("time after the warm-up");
        plot.YLabel("x + 6, y, z − 6");
        plot.Axes.SetLimits(0, n * options.Dt, -11, 17); // headroom for the legend
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1000, 560);
    }

    /// <summary>The training loss at every step, on a log scale.</summary>
    public static void Loss(string path, ReadOnlySpan<float> losses)
    {
        var plot = new Plot();
        double[] steps = new double[losses.Length], log = new double[losses.Length];
        for (int i = 0; i < losses.Length; i++)
        {
            steps[i] = i + 1;
            log[i] = Math.Log10(Math.Clamp((double)losses[i], 1e-12, 1e12)); // clamped so 0 or a diverged step still draws
        }
        var line = plot.Add.ScatterLine(steps, log, Coordinates[0]);
        line.LineWidth = 1.2f;
        line.LegendText = "MSE of the scaled one-step changes";
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G3", CultureInfo.InvariantCulture),
        };
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Title("Training loss (log scale)");
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 760, 440);
    }
}
