using System;
using System.CommandLine;
using Spectre.Console;

namespace ArenaGrad.Projectile;

/// <summary>Command line of the simulation demo; the work is in <see cref="ProjectileFit.Run"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var d = new ProjectileOptions();
        var iterations = new Option<int>("--iterations", "-n") { Description = "Optimizer iterations (each one simulates the whole flight)", DefaultValueFactory = _ => d.Iterations };
        var learningRate = new Option<float>("--lr") { Description = "Adam learning rate (m/s)", DefaultValueFactory = _ => d.LearningRate };
        var targetX = new Option<float>("--target-x") { Description = "Target distance from the launch point (m)", DefaultValueFactory = _ => d.TargetX };
        var targetY = new Option<float>("--target-y") { Description = "Target height (m)", DefaultValueFactory = _ => d.TargetY };
        var time = new Option<float>("--time") { Description = "Time at which the projectile must be at the target (s)", DefaultValueFactory = _ => d.FlightTime };
        var steps = new Option<int>("--integration-steps") { Description = "Explicit Euler steps over the flight", DefaultValueFactory = _ => d.IntegrationSteps };
        var drag = new Option<float>("--drag") { Description = "Quadratic drag coefficient k in a = g - k|v|v (1/m)", DefaultValueFactory = _ => d.Drag };
        var speed = new Option<float>("--speed") { Description = "First guess: launch speed (m/s)", DefaultValueFactory = _ => d.InitialSpeed };
        var angle = new Option<float>("--angle") { Description = "First guess: launch angle (degrees)", DefaultValueFactory = _ => d.InitialAngle };
        var output = new Option<string>("--out", "-o") { Description = "Folder for trajectory.png", DefaultValueFactory = _ => d.OutputDirectory };

        var root = new RootCommand("ArenaGrad simulation demo: fits a projectile's launch velocity through a few hundred " +
            "integration steps with air drag, so that it is at the target at the given time; draws the flights before and after.")
        {
            iterations, learningRate, targetX, targetY, time, steps, drag, speed, angle, output,
        };
        root.SetAction(parsed =>
        {
            var options = new ProjectileOptions
            {
                Iterations = parsed.GetValue(iterations),
                LearningRate = parsed.GetValue(learningRate),
                TargetX = parsed.GetValue(targetX),
                TargetY = parsed.GetValue(targetY),
                FlightTime = parsed.GetValue(time),
                IntegrationSteps = parsed.GetValue(steps),
                Drag = parsed.GetValue(drag),
                InitialSpeed = parsed.GetValue(speed),
                InitialAngle = parsed.GetValue(angle),
                OutputDirectory = parsed.GetValue(output) ?? d.OutputDirectory,
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            return ProjectileFit.Run(options, AnsiConsole.Console).ExitCode;
        });
        return root.Parse(args).Invoke();
    }
}
