using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace ArenaGrad.Projectile;

/// <summary>The simulation demo's picture, drawn with ScottPlot after the fit.</summary>
internal static class ProjectilePlots
{
    /// <summary>
    /// The first guess (dashed), flights after 1, 2, 4, ... iterations (faint) and the fitted one (bold), each cut where
    /// it reaches the ground, with the target and each flight's position at the flight time.
    /// </summary>
    public static void Trajectories(string path, IReadOnlyList<(int Iteration, float[] Points)> traces, ProjectileOptions options)
    {
        var plot = new Plot();
        plot.Add.HorizontalLine(0, 2, Colors.SaddleBrown);
        double right = Math.Max(options.TargetX, 1), top = Math.Max(options.TargetY, 1), left = Math.Min(options.TargetX, 0);
        for (int t = 0; t < traces.Count; t++)
        {
            (int iteration, float[] points) = traces[t];
            bool first = t == 0, last = t == traces.Count - 1;
            (double[] xs, double[] ys, bool reachedEnd) = AboveGround(points);
            foreach (double x in xs) (left, right) = (Math.Min(left, x), Math.Max(right, x));
            foreach (double y in ys) top = Math.Max(top, y);
            Color color = first ? Colors.Gray
                : last ? Color.FromHex("#1f4e9c")
                : Color.FromHex("#6fa8dc").WithOpacity(0.35 + 0.5 * t / traces.Count);
            var line = plot.Add.ScatterLine(xs, ys, color);
            line.LineWidth = last ? 3 : first ? 2 : 1.2f;
            if (first) line.LinePattern = LinePattern.Dashed;
            line.LegendText = first ? "first guess"
                : last ? string.Create(CultureInfo.InvariantCulture, $"fitted ({iteration} iterations)")
                : t == 1 ? "after 1, 2, 4, ... iterations" : "";
            if (reachedEnd)
                plot.Add.Marker(xs[^1], ys[^1], MarkerShape.FilledCircle, last ? 8 : 5, color);
        }
        var target = plot.Add.Marker(options.TargetX, options.TargetY, MarkerShape.Eks, 16, Colors.Red);
        target.LineWidth = 3;
        target.LegendText = string.Create(CultureInfo.InvariantCulture, $"target at t = {options.FlightTime:0.##} s");

        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"Launch velocity fitted through {options.IntegrationSteps} simulation steps (drag k = {options.Drag:0.####}/m)"));
        plot.XLabel("distance (m)");
        plot.YLabel("height (m)");
        double margin = 0.04 * (right - left);
        plot.Axes.SetLimits(left - margin, right + margin, -0.06 * top, 1.45 * top);   // headroom for the legend
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 900, 480);
    }

    /// <summary>The path from the launch point until it first goes below the ground, the crossing interpolated.</summary>
    private static (double[] Xs, double[] Ys, bool ReachedEnd) AboveGround(float[] points)
    {
        int steps = points.Length / 2;
        var xs = new List<double>(steps + 1) { 0 };
        var ys = new List<double>(steps + 1) { 0 };
        for (int i = 0; i < steps; i++)
        {
            double x = points[2 * i], y = points[2 * i + 1];
            if (y < 0 && i > 0)
            {
                double x0 = xs[^1], y0 = ys[^1];
                double f = y0 / (y0 - y);
                xs.Add(x0 + f * (x - x0));
                ys.Add(0);
                return ([.. xs], [.. ys], false);
            }
            xs.Add(x);
            ys.Add(y);
        }
        return ([.. xs], [.. ys], true);
    }
}
