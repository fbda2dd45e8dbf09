using System;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace ArenaGrad.Tools;

/// <summary>
/// Progress of a step loop: Spectre.Console's live progress bar on an interactive ANSI terminal, plain periodic
/// lines otherwise (CI logs, redirected output, tests).
/// </summary>
/// <remarks>
/// The loop asks <see cref="IsDue"/> after every step (a timestamp or counter comparison, no allocation) and calls
/// <see cref="Report(int, string, double)"/> only when it says so, outside any window the caller measures. The bar is refreshed from the
/// loop's own thread (auto-refresh off), so no render thread competes with training for the cores or allocates
/// while a step runs.
/// </remarks>
internal sealed class StepProgress
{
    private static readonly long RefreshTicks = Stopwatch.Frequency / 10;
    private const int PlainReports = 10;

    private readonly IAnsiConsole _console;
    private readonly ProgressContext? _context;
    private readonly ProgressTask? _task;
    private readonly string _unit;
    private readonly int _total;
    private long _nextTimestamp;
    private int _nextStep;

    private StepProgress(IAnsiConsole console, ProgressContext? context, ProgressTask? task, int total, string unit)
    {
        _console = console;
        _context = context;
        _task = task;
        _total = total;
        _unit = unit;
        _nextTimestamp = Stopwatch.GetTimestamp() + RefreshTicks;
        _nextStep = NextPlainStep(0);
    }

    /// <summary>Whether <paramref name="console"/> gets the live bar (interactive and ANSI) rather than plain lines.</summary>
    public static bool IsLive(IAnsiConsole console) =>
        console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;

    /// <summary>Runs <paramref name="body"/> with a progress reporter for <paramref name="total"/> steps.</summary>
    public static T Run<T>(IAnsiConsole console, string title, int total, string unit, Func<StepProgress, T> body)
    {
        if (!IsLive(console))
            return body(new StepProgress(console, null, null, total, unit));
        return console.Progress()
            .AutoRefresh(false)
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask(Markup.Escape(title), maxValue: total);
                var progress = new StepProgress(console, context, task, total, unit);
                T result = body(progress);
                context.Refresh();
                return result;
            });
    }

    /// <summary>Whether the loop should call <see cref="Report(int, string, double)"/> after <paramref name="done"/> steps.</summary>
    public bool IsDue(int done) =>
        done >= _total || (_context is null ? done >= _nextStep : Stopwatch.GetTimestamp() >= _nextTimestamp);

    /// <summary>Shows the step count, the latest loss and the rate; allocates (strings, rendering), so call it between steps.</summary>
    public void Report(int done, float loss, double perSecond) => Report(done, "loss " + FormatLoss(loss), perSecond);

    /// <summary>Shows the step count, <paramref name="measure"/> (for example "mean return 123.4") and the rate; call it
    /// between steps.</summary>
    public void Report(int done, string measure, double perSecond)
    {
        int width = _total.ToString(CultureInfo.InvariantCulture).Length;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{_unit.TrimEnd('s')} {done.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{_total}  {measure}  {perSecond,7:N0} {_unit}/s");
        if (_context is not null && _task is not null)
        {
            _task.Description = Markup.Escape(line);
            _task.Value = done;
            _context.Refresh();
            _nextTimestamp = Stopwatch.GetTimestamp() + RefreshTicks;
        }
        else
        {
            _console.WriteLine(line);
            _nextStep = NextPlainStep(done);
        }
    }

    /// <summary>Four significant digits, in scientific notation once the loss is small.</summary>
    public static string FormatLoss(double loss) =>
        Math.Abs(loss) >= 1e-3 || loss == 0 || !double.IsFinite(loss)
            ? loss.ToString("0.0000", CultureInfo.InvariantCulture)
            : loss.ToString("0.000e0", CultureInfo.InvariantCulture);

    private int NextPlainStep(int done)
    {
        int every = Math.Max(1, (_total + PlainReports - 1) / PlainReports);
        return Math.Min(_total, (done / every + 1) * every);
    }
}
