using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Optim;

/// <summary>The training loop of the PyTorch trajectory files (Interop/README.md): zero_grad, cross-entropy of one fixed
/// batch, backward, step. Shared with the ONNX tests, which fine-tune an imported model along the same trajectory.</summary>
internal static class CrossEntropySteps
{
    /// <summary>Runs <paramref name="steps"/> steps (each forward and backward in a scope) and returns every loss.</summary>
    public static float[] Run(Arena arena, Module model, Optimizer optimizer, Tensor input, int[] targets, int steps)
    {
        var losses = new float[steps];
        for (int step = 0; step < steps; step++)
        {
            optimizer.ZeroGrad();
            using (arena.Scope())
            {
                Tensor loss = Functional.CrossEntropy(model.Forward(input), targets);
                loss.Backward();
                losses[step] = loss.Item();
            }
            optimizer.Step();
        }
        return losses;
    }
}
