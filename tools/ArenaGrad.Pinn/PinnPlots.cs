using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace ArenaGrad.Pinn;

/// <summary>The PINN demo's pictures, drawn with ScottPlot after training.</summary>
internal static class PinnPlots
{
    private static readonly Color Fitted = Color.FromHex("#1f4e9c");
    private static readonly Color Exact = Color.FromHex("#d62728");

    /// <summary>
    /// The exact solution, the untrained network (dashed), the fits after 1/8, 1/4 and 1/2 of the steps (faint) and the
    /// trained one (bold), with the collocation points on the t axis.
    /// </summary>
    public static void Fit(string path, float[] times, IReadOnlyList<(int Step, float[] U)> snapshots, Oscillator oscillator,
        float[] collocation, PinnOptions options, FitError final)
    {
        var plot = new Plot();
        double[] ts = new double[times.Length], exact = new double[times.Length];
        double low = 0, high = 0;
        for (int i = 0; i < times.Length; i++)
        {
            ts[i] = times[i];
            exact[i] = oscillator.Position(times[i]);
            (low, high) = (Math.Min(low, exact[i]), Math.Max(high, exact[i]));
        }
        var reference = plot.Add.ScatterLine(ts, exact, Exact.WithOpacity(0.55));
        reference.LineWidth = 6;
        reference.LegendText = "exact solution";

        for (int s = 0; s < snapshots.Count; s++)
        {
            (int step, float[] u) = snapshots[s];
            bool first = s == 0, last = s == snapshots.Count - 1;
            double[] us = new double[u.Length];
            for (int i = 0; i < u.Length; i++) us[i] = Math.Clamp((double)u[i], -1e6, 1e6);   // a diverged fit still draws
            Color color = first ? Colors.Gray : last ? Fitted : Color.FromHex("#6fa8dc").WithOpacity(0.4 + 0.4 * s / snapshots.Count);
            var line = plot.Add.ScatterLine(ts, us, color);
            line.LineWidth = last ? 2.5f : first ? 1.5f : 1.2f;
            if (first) line.LinePattern = LinePattern.Dashed;
            line.LegendText = first ? "untrained network"
                : last ? string.Create(CultureInfo.InvariantCulture, $"PINN after {step} steps (max error {final.MaxError:0.###e0})")
                : string.Create(CultureInfo.InvariantCulture, $"after {step} steps");
        }

        double span = Math.Max(high - low, 1e-3);
        double[] cx = new double[collocation.Length], cy = new double[collocation.Length];
        for (int i = 0; i < collocation.Length; i++) (cx[i], cy[i]) = (collocation[i], low - 0.08 * span);
        var points = plot.Add.ScatterPoints(cx, cy, Colors.Black);
        points.MarkerSize = 4;
        points.LegendText = "collocation points";

        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"PINN for m·u'' + c·u' + k·u = 0 (m = {options.Mass:0.###}, c = {options.Damping:0.###}, k = {options.Stiffness:0.###}), " +
            $"u(0) = {options.InitialPosition:0.###}, u'(0) = {options.InitialVelocity:0.###}"));
        plot.XLabel("t");
        plot.YLabel("u(t)");
        plot.Axes.SetLimits(0, options.Duration, low - 0.15 * span, high + 0.45 * span);   // headroom for the legend
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 900, 480);
    }

    /// <summary>The loss and its two parts at every step, on a log scale.</summary>
    public static void LossCurves(string path, ReadOnlySpan<float> total, ReadOnlySpan<float> residual, ReadOnlySpan<float> initial)
    {
        var plot = new Plot();
        Add(plot, total, Fitted, 1.8f, "loss");
        Add(plot, residual, Color.FromHex("#2ca02c").WithOpacity(0.8), 1f, "ODE residual, mean((m·u'' + c·u' + k·u)/k)²");
        Add(plot, initial, Color.FromHex("#ff7f0e").WithOpacity(0.8), 1f, "initial conditions, (u(0) − u₀)² + ((u'(0) − v₀)/ω₀)²");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G3", CultureInfo.InvariantCulture),
        };
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Grid.MinorLineWidth = 1;
        plot.Title("Physics-informed loss (log scale)");
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 760, 440);

        static void Add(Plot plot, ReadOnlySpan<float> values, Color color, float width, string legend)
        {
            double[] steps = new double[values.Length], log = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                steps[i] = i + 1;
                // Clamped so an exact 0 or a diverged step still draws.
                log[i] = Math.Log10(Math.Clamp((double)values[i], 1e-12, 1e12));
            }
            var line = plot.Add.ScatterLine(steps, log, color);
            line.LineWidth = width;
            line.LegendText = legend;
        }
    }
}
