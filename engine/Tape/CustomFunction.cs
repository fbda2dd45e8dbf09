using System.Runtime.InteropServices;

namespace ArenaGrad;

/// <summary>
/// A differentiable function whose derivative you give yourself: PyTorch's <c>torch.autograd.Function</c>. Write it as
/// a struct (fields hold its settings) and run it with <see cref="Autograd.Apply{TFunction}"/>.
/// </summary>
/// <example>
/// <code>
/// struct Cube : ICustomFunction
/// {
///     public Tensor Forward(FunctionContext ctx, ReadOnlySpan&lt;Tensor&gt; inputs)
///     {
///         ctx.SaveForBackward(inputs[0]);
///         return inputs[0] * inputs[0] * inputs[0];
///     }
///     public void Backward(FunctionContext ctx, Tensor gradOutput, Span&lt;Tensor?&gt; gradInputs)
///     {
///         Tensor x = ctx.SavedTensors[0];
///         gradInputs[0] = gradOutput * 3f * x * x;   // ops: differentiable again under createGraph
///     }
/// }
/// Tensor y = Autograd.Apply(new Cube(), x);          // grad_fn=&lt;CubeBackward&gt;
/// </code>
/// </example>
public interface ICustomFunction
{
    /// <summary>The function's value. Runs under no-grad (nothing it does is recorded); save what backward needs with
    /// <see cref="FunctionContext.SaveForBackward"/>. Return a Float32 tensor of the inputs' arena.</summary>
    Tensor Forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs);

    /// <summary>The vector-Jacobian product: given the gradient of the output, set <paramref name="gradInputs"/>[i] to the
    /// gradient of input i (its shape), or leave it null for none. Built from ops, it is differentiable again when
    /// backward runs with <c>createGraph</c>.</summary>
    void Backward(FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs);
}

/// <summary>What a custom function's forward hands its backward (PyTorch's <c>ctx</c>). A handle: copying it is free.</summary>
public readonly struct FunctionContext
{
    private readonly Arena _arena;
    private readonly int _entry;

    internal FunctionContext(Arena arena, int entry)
    {
        _arena = arena;
        _entry = entry;
    }

    /// <summary><c>ctx.save_for_backward(*tensors)</c>: keeps tensors for backward. Call it in forward. Backward refuses
    /// to run if one of them was changed in place since (PyTorch's version check).</summary>
    /// <exception cref="InvalidOperationException">Called outside forward.</exception>
    public void SaveForBackward(params ReadOnlySpan<Tensor> tensors) => Arena.SaveForCustomBackward(_entry, tensors);

    /// <summary><c>ctx.saved_tensors</c>: what forward saved, in order.</summary>
    public ReadOnlySpan<Tensor> SavedTensors => Arena.CustomSavedTensors(_entry);

    /// <summary><c>ctx.needs_input_grad[index]</c>: whether input <paramref name="index"/> takes a gradient.</summary>
    public bool NeedsInputGrad(int index) => Arena.CustomNeedsInputGrad(_entry, index);

    private Arena Arena => _arena ?? throw new InvalidOperationException("This FunctionContext is default: only Autograd.Apply makes one.");
}

public static partial class Autograd
{
    /// <summary><c>Function.apply(*inputs)</c>: runs <paramref name="function"/>'s forward on <paramref name="inputs"/>
    /// and, when grad mode is on and an input requires grad, records it so that backward calls its
    /// <see cref="ICustomFunction.Backward"/>. The result's grad_fn is the struct's name plus <c>Backward</c>.</summary>
    /// <remarks>Allocates no managed memory per call once the arena has seen the function type. A backward pass that
    /// reaches a custom function computes gradients as tensors (the graph pass), as with <c>createGraph</c>.</remarks>
    /// <exception cref="ArgumentException">No inputs, or inputs of different arenas, or forward returned a tensor of
    /// another arena or dtype.</exception>
    /// <exception cref="InvalidOperationException">Called while a step is being captured.</exception>
    public static Tensor Apply<TFunction>(in TFunction function, params ReadOnlySpan<Tensor> inputs) where TFunction : struct, ICustomFunction
    {
        if (inputs.Length == 0) throw new ArgumentException("A custom function needs at least one tensor input.", nameof(inputs));
        return inputs[0].Arena.ApplyCustom(in function, inputs);
    }
}
