namespace ArenaGrad;

/// <summary><c>torch.autograd</c>: backward from several roots at once, gradients returned instead of accumulated
/// (<see cref="Grad(ReadOnlySpan{Tensor}, ReadOnlySpan{Tensor}, ReadOnlySpan{Tensor}, bool?, bool, bool)"/>), and
/// higher-order derivatives.</summary>
public static partial class Autograd
{
    /// <summary><c>torch.autograd.backward(tensors, grad_tensors, retain_graph, create_graph)</c>: one reverse pass from
    /// every root, each seeded with its gradient (ones for one-element roots when <paramref name="gradients"/> is empty).</summary>
    /// <param name="tensors">The roots.</param>
    /// <param name="gradients">One gradient per root (same shapes), or empty.</param>
    /// <param name="retainGraph">Keep the graph for another pass; null means <paramref name="createGraph"/>.</param>
    /// <param name="createGraph">Record the pass, so the accumulated <see cref="Tensor.Grad"/> tensors are differentiable.</param>
    /// <exception cref="ArgumentException">Counts or shapes of gradients do not match the roots (PyTorch's messages).</exception>
    /// <exception cref="InvalidOperationException">A root does not require grad, or its graph was freed.</exception>
    public static void Backward(ReadOnlySpan<Tensor> tensors, ReadOnlySpan<Tensor> gradients = default, bool? retainGraph = null,
        bool createGraph = false)
    {
        if (tensors.Length == 0) throw new ArgumentException("backward expects at least one tensor, but got none.", nameof(tensors));
        tensors[0].Arena.Backward(tensors, gradients, retainGraph ?? createGraph, createGraph);
    }

    /// <summary><c>torch.autograd.grad</c>: the gradients of <paramref name="outputs"/> with respect to
    /// <paramref name="inputs"/>, returned rather than accumulated: no <see cref="Tensor.Grad"/> changes.</summary>
    /// <param name="outputs">The tensors to differentiate (one-element ones need no <paramref name="gradOutputs"/>).</param>
    /// <param name="inputs">The tensors to differentiate with respect to; each must require grad (leaves or not).</param>
    /// <param name="gradOutputs">The vector in the vector-Jacobian product, one per output (same shapes); empty means
    /// ones for one-element outputs. With <paramref name="createGraph"/> the result is differentiable in them too.</param>
    /// <param name="retainGraph">Keep the graph for another pass; null means <paramref name="createGraph"/>.</param>
    /// <param name="createGraph">Record the pass, so the returned gradients can be differentiated again (any order).</param>
    /// <param name="allowUnused">Return null for an input the outputs do not depend on, instead of throwing.</param>
    /// <returns>One gradient per input, in order (null only for an unused input with <paramref name="allowUnused"/>).</returns>
    /// <exception cref="InvalidOperationException">PyTorch's errors: an input that does not require grad, an unused input
    /// without <paramref name="allowUnused"/>, a non-scalar output without <paramref name="gradOutputs"/>, an output
    /// that does not require grad, a graph already freed.</exception>
    public static Tensor?[] Grad(ReadOnlySpan<Tensor> outputs, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor> gradOutputs = default,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        var results = new Tensor?[inputs.Length];
        Grad(outputs, inputs, gradOutputs, results, retainGraph, createGraph, allowUnused);
        return results;
    }

    /// <summary><see cref="Grad(ReadOnlySpan{Tensor}, ReadOnlySpan{Tensor}, ReadOnlySpan{Tensor}, bool?, bool, bool)"/>
    /// into <paramref name="results"/> (at least one element per input): allocates no managed memory. Pass
    /// <c>default</c> for <paramref name="gradOutputs"/> when the outputs are scalars.</summary>
    /// <param name="outputs">The tensors to differentiate.</param>
    /// <param name="inputs">The tensors to differentiate with respect to.</param>
    /// <param name="gradOutputs">One gradient per output, or empty (ones for one-element outputs).</param>
    /// <param name="results">Receives one gradient per input (null for an unused one with <paramref name="allowUnused"/>).</param>
    /// <param name="retainGraph">Keep the graph for another pass; null means <paramref name="createGraph"/>.</param>
    /// <param name="createGraph">Record the pass, so the gradients can be differentiated again.</param>
    /// <param name="allowUnused">Give null for an input the outputs do not depend on, instead of throwing.</param>
    public static void Grad(ReadOnlySpan<Tensor> outputs, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor> gradOutputs, Span<Tensor?> results,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        if (outputs.Length == 0) throw new ArgumentException("grad requires at least one output, but got none.", nameof(outputs));
        if (inputs.Length == 0) throw new ArgumentException("grad requires non-empty inputs.", nameof(inputs));
        if (gradOutputs.Length != 0 && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"grad_outputs must be of the same length as outputs: got {gradOutputs.Length} gradients and {outputs.Length} outputs.",
                nameof(gradOutputs));
        outputs[0].Arena.RunGraphBackward(outputs, gradOutputs, retainGraph ?? createGraph, createGraph, inputs, results, allowUnused);
    }

    /// <summary><c>torch.autograd.grad(output, input)</c> for one scalar output and one input.</summary>
    /// <exception cref="InvalidOperationException">As the span overload (an unused input always throws).</exception>
    public static Tensor Grad(Tensor output, Tensor input, bool createGraph = false, bool? retainGraph = null)
    {
        Span<Tensor?> result = [null];
        Grad(new ReadOnlySpan<Tensor>(in output), new ReadOnlySpan<Tensor>(in input), default, result, retainGraph, createGraph);
        return result[0]!.Value;
    }
}
