using System.Diagnostics;
using System.Globalization;

namespace ArenaGrad.Tools.Tests;

/// <summary>The main job as the README runs it, in a process of its own: tiered compilation with dynamic PGO (the
/// runtime's defaults), not the fully optimized single-tier JIT the test projects run under.</summary>
/// <remarks>The test projects set <c>TieredCompilation</c> false so no tier-up lands inside a measured window; that
/// leaves the code users run (tier 0, instrumented tier 0, tier 1 with PGO, on-stack replacement of the step loop)
/// untested for allocations. A child process gets the main job's own runtimeconfig (TieredPGO true) instead, and runs
/// its default 1,500 steps: the measured steps 200-1,500 (about 1 s here, 5 s with DOTNET_EnableHWIntrinsic=0) span
/// the switch from tier-0 and instrumented code to tier 1, so both are measured.</remarks>
[NonParallelizable]
public sealed class TieredJitTests
{
    /// <summary>Child-process runs that a 2-core CI machine might slow down must still end.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Test]
    public void MainJob_DefaultRunUnderTieredPgo_ReportsZeroManagedBytesPerStep()
    {
        using var folder = new TempFolder();
        (int exitCode, string output) = RunMainJob(folder.Path);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(SummaryValue(output, "managed bytes per step"), Is.EqualTo("0"), output);
        Assert.That(double.Parse(SummaryValue(output, "accuracy").TrimEnd('%', ' '), CultureInfo.InvariantCulture),
            Is.GreaterThanOrEqualTo(95), output);
    }

    /// <summary>Runs ArenaGrad.Train (copied beside this assembly with its runtimeconfig) with its default options,
    /// under the runtime's default tiering and DOTNET_TieredPGO=1; returns its exit code and everything it printed.</summary>
    private static (int ExitCode, string Output) RunMainJob(string outputFolder)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "ArenaGrad.Train.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is missing: the project reference copies it beside the tests");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(outputFolder);
        // Whatever tiering knobs this shell has, the child runs with the runtime's defaults plus dynamic PGO.
        foreach (string name in new[] { "TieredCompilation", "TC_QuickJit", "TC_QuickJitForLoops", "OSR_HitLimit", "TieredPGO", "ReadyToRun", "TC_CallCountThreshold", "TC_CallCountingDelayMs" })
        {
            start.Environment.Remove("DOTNET_" + name);
            start.Environment.Remove("COMPlus_" + name);
        }
        start.Environment["DOTNET_TieredPGO"] = "1";

        using Process process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"ArenaGrad.Train did not finish in {Timeout.TotalMinutes} minutes:\n{stdout}");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>The value cell of the summary row that starts with <paramref name="row"/> (box drawing or ASCII), as
    /// .ci/run reads it; empty when there is none.</summary>
    private static string SummaryValue(string output, string row)
    {
        foreach (string line in output.Split('\n'))
        {
            string[] cells = line.Split('│', '|');
            if (cells.Length >= 3 && cells[1].TrimStart().StartsWith(row, StringComparison.Ordinal)) return cells[2].Trim();
        }
        return "";
    }
}
