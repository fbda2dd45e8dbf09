using System;
using System.Globalization;
using ScottPlot;

namespace ArenaGrad.Train;

/// <summary>The main job's pictures, drawn with ScottPlot after training.</summary>
internal static class TrainingPlots
{
    private static readonly Color ClassZero = Color.FromHex("#1f77b4");
    private static readonly Color ClassOne = Color.FromHex("#d62728");

    /// <summary>P(class 1) as a heat map with its 0.5 contour, and the data points on top.</summary>
    /// <param name="path">PNG to write.</param>
    /// <param name="probabilities">[row, column] over [−extent, extent]², row 0 at y = −extent.</param>
    /// <param name="extent">Half the side of the square the grid covers.</param>
    /// <param name="points">Row-major [n, 2] coordinates.</param>
    /// <param name="labels">Class of every point.</param>
    /// <param name="accuracy">Shown in the title.</param>
    public static void DecisionBoundary(string path, double[,] probabilities, float extent, ReadOnlySpan<float> points,
        ReadOnlySpan<int> labels, float accuracy)
    {
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(probabilities);
        heatmap.Colormap = new ClassColormap();
        heatmap.Extent = new CoordinateRect(-extent, extent, -extent, extent);
        heatmap.FlipVertically = true;                           // row 0 is the bottom of the grid
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "P(class 1)";

        int rows = probabilities.GetLength(0), columns = probabilities.GetLength(1);
        var cells = new Coordinates3d[rows, columns];
        for (int row = 0; row < rows; row++)
        for (int column = 0; column < columns; column++)
            cells[row, column] = new Coordinates3d(
                -extent + (column + 0.5) * 2 * extent / columns,
                -extent + (row + 0.5) * 2 * extent / rows,
                probabilities[row, column]);
        var contour = plot.Add.ContourLines(cells, 1);
        contour.ContourLineLevels = [0.5];
        contour.LineColor = Colors.Black;
        contour.LineWidth = 2;
        contour.LabelStyle.IsVisible = false;

        for (int label = 0; label < 2; label++)
        {
            int count = 0;
            foreach (int l in labels) if (l == label) count++;
            double[] xs = new double[count], ys = new double[count];
            for (int i = 0, k = 0; i < labels.Length; i++)
            {
                if (labels[i] != label) continue;
                xs[k] = points[2 * i];
                ys[k++] = points[2 * i + 1];
            }
            var scatter = plot.Add.ScatterPoints(xs, ys, label == 0 ? ClassZero : ClassOne);
            scatter.MarkerSize = 6;
            scatter.MarkerLineColor = Colors.White;
            scatter.MarkerLineWidth = 1;
            scatter.LegendText = $"class {label}";
        }

        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Two spirals: learned decision boundary (accuracy {accuracy * 100:0.0} %)"));
        plot.XLabel("x");
        plot.YLabel("y");
        plot.Axes.SetLimits(-extent, extent, -extent, extent);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 720, 600);
    }

    /// <summary>Light blue (class 0) through white (undecided) to light red (class 1), so the points stay readable on top.</summary>
    private sealed class ClassColormap : IColormap
    {
        private static readonly Color Low = Color.FromHex("#9ecae1"), Middle = Colors.White, High = Color.FromHex("#fcae91");

        public string Name => "class probability";

        public Color GetColor(double normalizedIntensity)
        {
            double t = double.IsFinite(normalizedIntensity) ? Math.Clamp(normalizedIntensity, 0, 1) : 0.5;
            return t < 0.5 ? Mix(Low, Middle, t * 2) : Mix(Middle, High, t * 2 - 1);
        }

        private static Color Mix(Color a, Color b, double f) => new(
            (byte)Math.Round(a.R + (b.R - a.R) * f), (byte)Math.Round(a.G + (b.G - a.G) * f), (byte)Math.Round(a.B + (b.B - a.B) * f));
    }

    /// <summary>The loss of every step on a log scale.</summary>
    public static void LossCurve(string path, ReadOnlySpan<float> losses)
    {
        var plot = new Plot();
        double[] steps = new double[losses.Length], logLoss = new double[losses.Length];
        for (int i = 0; i < losses.Length; i++)
        {
            steps[i] = i + 1;
            // Clamped so an exact 0 or a diverged step still draws.
            logLoss[i] = Math.Log10(Math.Clamp((double)losses[i], 1e-12, 1e12));
        }
        var line = plot.Add.ScatterLine(steps, logLoss, ClassZero);
        line.LineWidth = 1.5f;

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G3", CultureInfo.InvariantCulture),
        };
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Grid.MinorLineWidth = 1;
        plot.Title("Training loss (cross-entropy, log scale)");
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.SavePng(path, 760, 440);
    }
}
