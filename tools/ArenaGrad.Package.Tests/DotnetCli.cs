using System.Collections;
using System.Diagnostics;
using System.Text;

namespace ArenaGrad.Package.Tests;

/// <summary>What a finished <c>dotnet</c> command printed and returned.</summary>
internal sealed record CommandResult(string Command, int ExitCode, string Output, string Error)
{
    /// <summary>The command, its exit code and everything it printed, for an assertion message.</summary>
    public string Describe() => $"`{Command}` exited {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>Runs the dotnet CLI, or an app it built, as a developer would from a shell: without the test host's build environment.</summary>
internal static class DotnetCli
{
    /// <summary>A restore that downloads a runtime pack on a slow, shared machine stays well inside this.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    public static CommandResult Run(string workingDirectory, params string[] arguments) =>
        RunProgram("dotnet", workingDirectory, arguments);

    /// <summary>Runs <c>dotnet</c> and fails the test, with everything it printed, unless it exits 0.</summary>
    public static CommandResult RunChecked(string workingDirectory, params string[] arguments)
    {
        CommandResult result = Run(workingDirectory, arguments);
        if (result.ExitCode != 0) Assert.Fail(result.Describe());
        return result;
    }

    /// <summary>Runs <paramref name="program"/> (dotnet, or an app it built) in <paramref name="workingDirectory"/>.</summary>
    public static CommandResult RunProgram(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);

        // `dotnet test` runs this host under MSBuild, which exports MSBuild* variables (SDK paths, node settings) that
        // would steer a child build: the child starts from the environment a developer's shell would have.
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            string name = (string)variable.Key;
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)) start.Environment.Remove(name);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No build server may outlive the command: one would inherit the redirected output and hold it open, and it
        // would be left running after the tests.
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["UseSharedCompilation"] = "false";

        string command = string.Join(' ', [program, .. arguments]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"`{command}` did not start");
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"`{command}` in {workingDirectory} was still running after {Timeout.TotalMinutes} minutes and was killed\n{output}\n{error}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        return new CommandResult(command, process.ExitCode, output.ToString(), error.ToString());
    }
}
