namespace ArenaGrad;

/// <summary>A tensor hook (<c>Tensor.register_hook</c>): called with the tensor's gradient when backward has computed it,
/// before it flows on or is accumulated into <see cref="Tensor.Grad"/>.</summary>
/// <param name="grad">The gradient (same shape as the tensor). Do not change it in place: return a new tensor instead.</param>
/// <returns>A replacement gradient of the same shape, or null to keep <paramref name="grad"/>.</returns>
public delegate Tensor? GradientHook(Tensor grad);

/// <summary>What <see cref="Tensor.RegisterHook"/> returns (PyTorch's <c>RemovableHandle</c>): <see cref="Remove"/>
/// unregisters the hook.</summary>
public sealed class RemovableHandle
{
    private readonly Arena _arena;
    private readonly int _id;

    internal RemovableHandle(Arena arena, int id)
    {
        _arena = arena;
        _id = id;
    }

    /// <summary>Unregisters the hook; calling it again does nothing.</summary>
    public void Remove() => _arena.RemoveHook(_id);
}
