namespace ArenaGrad;

/// <summary><c>torch.autograd</c>: backward from several roots at once.</summary>
public static partial class Autograd
{
    /// <summary><c>torch.autograd.backward(tensors, grad_tensors, retain_graph)</c>: one reverse pass from every root,
    /// each seeded with its gradient (ones for one-element roots when <paramref name="gradients"/> is empty).</summary>
    /// <exception cref="ArgumentException">Counts or shapes of gradients do not match the roots (PyTorch's messages).</exception>
    /// <exception cref="InvalidOperationException">A root does not require grad, or its graph was freed.</exception>
    public static void Backward(ReadOnlySpan<Tensor> tensors, ReadOnlySpan<Tensor> gradients = default, bool retainGraph = false)
    {
        if (tensors.Length == 0) throw new ArgumentException("backward expects at least one tensor, but got none.", nameof(tensors));
        tensors[0].Arena.RunBackward(tensors, gradients, retainGraph);
    }
}
