using System.Text.Json;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Optim;

/// <summary>schedules.json (PyTorch 1.13.1): SGD+momentum under StepLR with clipping, Adam under CosineAnnealingLR, AdamW
/// with clipping. Each step: zero_grad, loss, backward, clip_grad_norm_, step, scheduler.step. Checks the learning rate used
/// at each step, the norms clipping returned, the losses and the final parameters.</summary>
public sealed class ScheduleInteropTests
{
    private static readonly string[] Runs = ["sgd_momentum_steplr_clip", "adam_cosine", "adamw_clip"];

    [TestCaseSource(nameof(Runs))]
    public void Run_MatchesPyTorch(string name)
    {
        JsonElement root = InteropData.Load("schedules.json");
        JsonElement run = root.GetProperty("runs").GetProperty(name);
        // "start" is mlp.safetensors, whose tensors equal the start of every optim_*.json.
        JsonElement start = InteropData.Load("optim_sgd.json").GetProperty("start");
        using var arena = new Arena();
        Sequential model = InteropData.Model(arena);
        model.LoadStateDict(InteropData.State(arena, model, start));
        (Tensor input, int[] targets) = InteropData.Batch(arena);
        JsonElement settings = run.GetProperty("settings");
        string kind = name.StartsWith("sgd", StringComparison.Ordinal) ? "sgd" : name.StartsWith("adamw", StringComparison.Ordinal) ? "adamw" : "adam";
        Optimizer optimizer = OptimizerInteropTests.Make(kind, settings, model.Parameters());
        LearningRateScheduler? scheduler = run.GetProperty("schedule").GetString() switch
        {
            "StepLR" => new StepLR(optimizer, run.GetProperty("schedule_settings").GetProperty("step_size").GetInt32(),
                run.GetProperty("schedule_settings").GetProperty("gamma").GetSingle()),
            "CosineAnnealingLR" => new CosineAnnealingLR(optimizer, run.GetProperty("schedule_settings").GetProperty("T_max").GetInt32(),
                run.GetProperty("schedule_settings").GetProperty("eta_min").GetSingle()),
            _ => null,
        };
        float? clip = run.GetProperty("clip_grad_norm").ValueKind == JsonValueKind.Number ? run.GetProperty("clip_grad_norm").GetSingle() : null;

        int steps = root.GetProperty("steps").GetInt32();
        var learningRates = new float[steps];
        var norms = new List<float>();
        var losses = new float[steps];
        for (int step = 0; step < steps; step++)
        {
            learningRates[step] = optimizer.LearningRate;
            optimizer.ZeroGrad();
            using (arena.Scope())
            {
                Tensor loss = Functional.CrossEntropy(model.Forward(input), targets);
                loss.Backward();
                losses[step] = loss.Item();
            }
            if (clip is float maxNorm) norms.Add(Functional.ClipGradNorm(model.Parameters(), maxNorm));
            optimizer.Step();
            scheduler?.Step();
            if (scheduler is not null) Assert.That(scheduler.LastLearningRate, Is.EqualTo(optimizer.LearningRate));
        }

        // The learning rate is a double in PyTorch and here; as a float it must be PyTorch's rounded to float exactly.
        double[] expectedRates = InteropData.Doubles(run.GetProperty("lr_used"));
        Assert.That(learningRates, Is.EqualTo(expectedRates.Select(r => (float)r).ToArray()), $"{name} learning rates");
        InteropData.AssertClose(norms.ToArray(), InteropData.Doubles(run.GetProperty("total_norms_before_clip")), $"{name} clip norms");
        InteropData.AssertClose(losses, InteropData.Doubles(run.GetProperty("losses")), $"{name} losses");
        double absolute = optimizer is Sgd ? InteropData.Absolute : InteropData.AdamParameterAbsolute;
        foreach (NamedTensor parameter in model.NamedParameters())
            InteropData.AssertClose(parameter.Value.AsSpanUnsafely(), InteropData.Doubles(run.GetProperty("final").GetProperty(parameter.Name)),
                $"{name} final {parameter.Name}", absolute);
    }
}
