using System.Text.Json;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Optim;

/// <summary>Every optim_*.json trajectory of PyTorch 1.13.1 (25 steps of zero_grad, cross-entropy, backward, step):
/// the loss at each step and the parameters after the last, within float32 tolerance.</summary>
public sealed class OptimizerInteropTests
{
    private static readonly string[] Files =
        ["optim_sgd.json", "optim_sgd_momentum_nesterov_wd.json", "optim_adam.json", "optim_adam_wd_amsgrad.json", "optim_adamw.json"];

    [TestCaseSource(nameof(Files))]
    public void Trajectory_MatchesPyTorch(string file)
    {
        JsonElement root = InteropData.Load(file);
        using var arena = new Arena();
        Sequential model = InteropData.Model(arena);
        model.LoadStateDict(InteropData.State(arena, model, root.GetProperty("start")));
        (Tensor input, int[] targets) = InteropData.Batch(arena);
        Optimizer optimizer = Make(root.GetProperty("optimizer").GetString()!, root.GetProperty("settings"), model.Parameters());

        int steps = root.GetProperty("steps").GetInt32();
        float[] losses = CrossEntropySteps.Run(arena, model, optimizer, input, targets, steps);

        InteropData.AssertClose(losses, InteropData.Doubles(root.GetProperty("losses")), $"{file} losses");
        double absolute = optimizer is Sgd ? InteropData.Absolute : InteropData.AdamParameterAbsolute;
        foreach (NamedTensor parameter in model.NamedParameters())
            InteropData.AssertClose(parameter.Value.AsSpanUnsafely(), InteropData.Doubles(root.GetProperty("final").GetProperty(parameter.Name)),
                $"{file} final {parameter.Name}", absolute);
    }

    /// <summary>The optimizer a file's settings describe (PyTorch's defaults are filled in there).</summary>
    internal static Optimizer Make(string kind, JsonElement settings, IReadOnlyList<Tensor> parameters)
    {
        float F(string name) => settings.GetProperty(name).GetSingle();
        if (kind.StartsWith("sgd", StringComparison.Ordinal))
            return new Sgd(parameters, F("lr"), F("momentum"), F("dampening"), F("weight_decay"), settings.GetProperty("nesterov").GetBoolean());
        float[] betas = InteropData.Floats(settings.GetProperty("betas"));
        bool amsgrad = settings.GetProperty("amsgrad").GetBoolean();
        return kind.StartsWith("adamw", StringComparison.Ordinal)
            ? new AdamW(parameters, F("lr"), betas[0], betas[1], F("eps"), F("weight_decay"), amsgrad)
            : new Adam(parameters, F("lr"), betas[0], betas[1], F("eps"), F("weight_decay"), amsgrad);
    }
}
