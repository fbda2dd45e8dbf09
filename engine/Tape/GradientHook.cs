namespace ArenaGrad;

/// <summary>A tensor hook (<c>Tensor.register_hook</c>): called with the tensor's gradient when backward has computed it,
/// before it flows on or is accumulated into <see cref="Tensor.Grad"/>.</summary>
/// <param name="grad">The gradient (same shape as the tensor). Do not change it in place: return a new tensor instead.</param>
/// <returns>A replacement gradient of the same shape, or null to keep <paramref name="grad"/>.</returns>
public delegate Tensor? GradientHook(Tensor grad);

/// <summary>What <see cref="Tensor.RegisterHook"/> returns (PyTorch's <c>RemovableHandle</c>): <see cref="Remove"/>
/// unregisters the hook. <see cref="Nn.Module.RegisterForwardHook"/> returns one too.</summary>
public sealed class RemovableHandle
{
    private readonly IHookOwner _owner;
    private readonly int _id;

    internal RemovableHandle(IHookOwner owner, int id)
    {
        _owner = owner;
        _id = id;
    }

    /// <summary>Unregisters the hook; calling it again does nothing.</summary>
    public void Remove() => _owner.RemoveHook(_id);
}

/// <summary>Whatever keeps hooks by id (an arena for tensor hooks, a module for its forward hooks).</summary>
internal interface IHookOwner
{
    /// <summary>Unregisters hook <paramref name="id"/>; an unknown id is ignored.</summary>
    void RemoveHook(int id);
}
