using System;
using System.CommandLine;
using Spectre.Console;

namespace ArenaGrad.Agents;

/// <summary>Command line of the agents: <c>cartpole</c> (PPO) and <c>pendulum</c> (SAC).</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("ArenaGrad agents: reinforcement learning in-process, 0 managed bytes per iteration. " +
            "Prints the step at which the agent solved the task, steps/s, and writes the learning curve (PNG) and the " +
            "policy (safetensors and ONNX).")
        {
            Command("cartpole", "PPO on CartPole-v1 with CleanRL's defaults (4 envs × 128 steps, 4 epochs of 4 minibatches, " +
                "Adam 2.5e-4 annealed); solved when the last 20 episodes average 475 or more.", 500_000, 4,
                static options => new CartPolePpo(options), capturable: true),
            Command("pendulum", "SAC on Pendulum-v1 as CleanRL's sac_continuous_action.py (actor and two Q networks 64-64 ReLU, " +
                "batch 256, 800 random steps, auto-tuned entropy); solved when the last 20 episodes average -250 or more.",
                PendulumSac.DefaultTotalSteps, 1, static options => new PendulumSac(options)),
        };
        return root.Parse(args).Invoke();
    }

    private static Command Command(string name, string description, int defaultSteps, int defaultEnvs,
        Func<AgentOptions, IAgentTrainer> make, bool capturable = false)
    {
        var d = new AgentOptions();
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the weights, the sampling and the environments (env i uses seed + i)", DefaultValueFactory = _ => d.Seed };
        var totalSteps = new Option<int>("--total-steps", "-n") { Description = "Environment steps, over all environments", DefaultValueFactory = _ => defaultSteps };
        var envs = new Option<int>("--envs") { Description = "Environments stepped side by side", DefaultValueFactory = _ => defaultEnvs };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the learning curve (PNG) and the policy (safetensors, ONNX)", DefaultValueFactory = _ => d.OutputDirectory };
        var json = new Option<string?>("--json") { Description = "Also write a JSON summary here (what perf/ppo-throughput.sh compares)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar: the header and the final table only" };
        var deterministic = new Option<bool>("--deterministic") { Description = "Same bits on every instruction set even on CPUs without FMA (the default where the CPU has FMA)" };
        var captured = new Option<bool>("--captured") { Description = "Replay the policy's inference and the minibatch update as captured steps (same learning curve, less dispatch)" };
        var command = new Command(name, description) { seed, totalSteps, envs, output, json, quiet, deterministic };
        if (capturable) command.Options.Add(captured);
        command.SetAction(parsed =>
        {
            var options = new AgentOptions
            {
                Seed = parsed.GetValue(seed),
                TotalSteps = parsed.GetValue(totalSteps),
                Envs = parsed.GetValue(envs),
                OutputDirectory = parsed.GetValue(output) ?? d.OutputDirectory,
                JsonPath = parsed.GetValue(json),
                Quiet = parsed.GetValue(quiet),
                Deterministic = parsed.GetValue(deterministic),
                Captured = capturable && parsed.GetValue(captured),
            };
            IAgentTrainer trainer;
            try
            {
                options.Validate();
                trainer = make(options);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            using (trainer)
                return AgentRun.Run(trainer, options, AnsiConsole.Console, name).ExitCode;
        });
        return command;
    }
}
