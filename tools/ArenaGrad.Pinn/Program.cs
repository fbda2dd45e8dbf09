using System;
using System.CommandLine;
using Spectre.Console;

namespace ArenaGrad.Pinn;

/// <summary>Command line of the physics-informed demo; the work is in <see cref="PinnFit.Run"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var d = new PinnOptions();
        var steps = new Option<int>("--steps", "-n") { Description = "Adam steps", DefaultValueFactory = _ => d.Steps };
        var learningRate = new Option<float>("--lr") { Description = "Adam's starting learning rate (cosine-annealed to 0)", DefaultValueFactory = _ => d.LearningRate };
        var mass = new Option<float>("--mass", "-m") { Description = "Mass m in m u'' + c u' + k u = 0", DefaultValueFactory = _ => d.Mass };
        var damping = new Option<float>("--damping", "-c") { Description = "Damping coefficient c (c² < 4mk under-damped, = critical, > over-damped)", DefaultValueFactory = _ => d.Damping };
        var stiffness = new Option<float>("--stiffness", "-k") { Description = "Spring constant k", DefaultValueFactory = _ => d.Stiffness };
        var u0 = new Option<float>("--u0") { Description = "Initial displacement u(0)", DefaultValueFactory = _ => d.InitialPosition };
        var v0 = new Option<float>("--v0") { Description = "Initial velocity u'(0)", DefaultValueFactory = _ => d.InitialVelocity };
        var duration = new Option<float>("--duration", "-T") { Description = "End T of the time interval [0, T]", DefaultValueFactory = _ => d.Duration };
        var points = new Option<int>("--points") { Description = "Collocation points, evenly spaced over [0, T]", DefaultValueFactory = _ => d.Points };
        var hidden = new Option<int>("--hidden") { Description = "Width of both hidden tanh layers", DefaultValueFactory = _ => d.Hidden };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial weights", DefaultValueFactory = _ => d.Seed };
        var output = new Option<string>("--out", "-o") { Description = "Folder for pinn_fit.png and pinn_loss.png", DefaultValueFactory = _ => d.OutputDirectory };

        var root = new RootCommand("ArenaGrad physics-informed demo: a small MLP u(t) learns the damped oscillator " +
            "m u'' + c u' + k u = 0 from the equation and u(0), u'(0) alone, with u' and u'' from Autograd.Grad(createGraph: true); " +
            "prints its error against the closed-form solution and draws the fit and the loss.")
        {
            steps, learningRate, mass, damping, stiffness, u0, v0, duration, points, hidden, seed, output,
        };
        root.SetAction(parsed =>
        {
            var options = new PinnOptions
            {
                Steps = parsed.GetValue(steps),
                LearningRate = parsed.GetValue(learningRate),
                Mass = parsed.GetValue(mass),
                Damping = parsed.GetValue(damping),
                Stiffness = parsed.GetValue(stiffness),
                InitialPosition = parsed.GetValue(u0),
                InitialVelocity = parsed.GetValue(v0),
                Duration = parsed.GetValue(duration),
                Points = parsed.GetValue(points),
                Hidden = parsed.GetValue(hidden),
                Seed = parsed.GetValue(seed),
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
            return PinnFit.Run(options, AnsiConsole.Console).ExitCode;
        });
        return root.Parse(args).Invoke();
    }
}
