using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace ArenaGrad.Agents;

/// <summary>The learning curve, drawn with ScottPlot after training.</summary>
internal static class AgentPlots
{
    /// <summary>Mean return of the last 20 episodes against environment steps, with the solved threshold and, when
    /// reached, the step it was reached at.</summary>
    public static void LearningCurve(string path, IAgentTrainer trainer, long[] steps, double[] meanReturns)
    {
        var xs = new List<double>(steps.Length);
        var ys = new List<double>(steps.Length);
        for (int i = 0; i < steps.Length; i++)
        {
            if (!double.IsFinite(meanReturns[i])) continue; // before the first finished episode
            xs.Add(steps[i]);
            ys.Add(meanReturns[i]);
        }
        var plot = new Plot();
        if (xs.Count > 0)
        {
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), Color.FromHex("#1f77b4"));
            line.LineWidth = 1.5f;
            line.LegendText = $"mean return of the last {trainer.Window.Capacity} episodes";
        }
        ReturnWindow window = trainer.Window;
        var target = plot.Add.HorizontalLine(window.Target, 1, Colors.Gray, LinePattern.Dashed);
        target.LegendText = string.Create(CultureInfo.InvariantCulture, $"solved ({window.Target:0.###})");
        if (window.SolvedStep is long solved)
        {
            var at = plot.Add.VerticalLine(solved, 1, Color.FromHex("#2ca02c"), LinePattern.Dotted);
            at.LegendText = string.Create(CultureInfo.InvariantCulture, $"solved at step {solved:N0}");
        }
        plot.Title($"{trainer.Environment}: learning curve");
        plot.XLabel("environment steps");
        plot.YLabel("episode return");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 760, 440);
    }
}
