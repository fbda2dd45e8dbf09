using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Text;

namespace ArenaGrad.Nn;

/// <summary>
/// A layer or a network: PyTorch's <c>nn.Module</c>. Holds parameters (tensors made outside any arena scope) and
/// child modules, names them as PyTorch does (<c>0.weight</c>, <c>1.0.bias</c>), and maps its input to an output
/// with <see cref="Forward"/>.
/// </summary>
/// <remarks>
/// <para>Register parameters and children in the constructor (<see cref="RegisterParameter"/>,
/// <see cref="RegisterModule{TModule}"/>). The first call of <see cref="NamedParameters"/>, <see cref="Parameters"/>
/// or <see cref="StateDict"/> builds both lists once and seals this module and its descendants: later registrations
/// throw, and later calls return the same lists without allocating.</para>
/// <para>Modules start in training mode, as in PyTorch.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
    Justification = "PyTorch's name (nn.Module), pinned by the API; only a Visual Basic keyword.")]
public abstract class Module : IHookOwner
{
    private readonly List<NamedTensor> _ownParameters = [];
    private readonly List<(string Name, Module Module)> _children = [];
    private ReadOnlyCollection<NamedTensor>? _namedParameters;
    private ReadOnlyCollection<Tensor>? _parameters;
    private bool _sealed;

    /// <summary>The output of this module for <paramref name="input"/>. Runs no hooks: <see cref="Call"/> does.</summary>
    public abstract Tensor Forward(Tensor input);

    // Forward hooks in registration order; null until the first registration, so a module without hooks is a plain call.
    private List<(int Id, ForwardPreHook Hook)>? _forwardPreHooks;
    private List<(int Id, ForwardHook Hook)>? _forwardHooks;
    private int _nextHookId;

    /// <summary><c>module(input)</c>: runs the forward pre-hooks, <see cref="Forward"/>, then the forward hooks, as
    /// PyTorch's <c>__call__</c> does (TorchSharp's <c>call</c>). Containers such as <see cref="Sequential"/> call their
    /// children this way, so hooks on an inner layer run when the whole model's <see cref="Forward"/> is called.</summary>
    public Tensor Call(Tensor input)
    {
        if (_forwardPreHooks is null && _forwardHooks is null) return Forward(input);
        if (_forwardPreHooks is not null)
            foreach ((int _, ForwardPreHook hook) in _forwardPreHooks.ToArray()) // a hook may remove itself
                if (hook(this, input) is Tensor replaced) input = replaced;
        Tensor output = Forward(input);
        if (_forwardHooks is not null)
            foreach ((int _, ForwardHook hook) in _forwardHooks.ToArray())
                hook(this, input, output);
        return output;
    }

    /// <summary><c>register_forward_hook(hook)</c>: <paramref name="hook"/> runs after every <see cref="Call"/> of this
    /// module, with its input and output, in registration order.</summary>
    /// <returns>A handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    public RemovableHandle RegisterForwardHook(ForwardHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        (_forwardHooks ??= []).Add((++_nextHookId, hook));
        return new RemovableHandle(this, _nextHookId);
    }

    /// <summary><c>register_forward_pre_hook(hook)</c>: <paramref name="hook"/> runs before every <see cref="Call"/> of
    /// this module and may replace its input.</summary>
    /// <returns>A handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    public RemovableHandle RegisterForwardPreHook(ForwardPreHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        (_forwardPreHooks ??= []).Add((++_nextHookId, hook));
        return new RemovableHandle(this, _nextHookId);
    }

    void IHookOwner.RemoveHook(int id)
    {
        _forwardPreHooks?.RemoveAll(h => h.Id == id);
        _forwardHooks?.RemoveAll(h => h.Id == id);
        if (_forwardPreHooks is { Count: 0 }) _forwardPreHooks = null;
        if (_forwardHooks is { Count: 0 }) _forwardHooks = null;
    }

    /// <summary>Whether the module is in training mode (<c>module.training</c>); only <see cref="Dropout"/> acts on it here.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Every parameter with its PyTorch name, own parameters first, then each child's in registration
    /// order (<c>named_parameters()</c>); a tensor registered twice is listed once. Built on the first call.</summary>
    public IReadOnlyList<NamedTensor> NamedParameters()
    {
        if (_namedParameters is null) Build();
        return _namedParameters!;
    }

    /// <summary>The tensors of <see cref="NamedParameters"/>, in the same order (<c>parameters()</c>).</summary>
    public IReadOnlyList<Tensor> Parameters()
    {
        if (_parameters is null) Build();
        return _parameters!;
    }

    /// <summary>The tensors a checkpoint holds, by name (<c>state_dict()</c>). These modules have no buffers, so it
    /// lists the parameters themselves (not copies): saving reads their current values.</summary>
    public IReadOnlyList<NamedTensor> StateDict() => NamedParameters();

    /// <summary>Copies every value of <paramref name="state"/> into the parameter of the same name
    /// (<c>load_state_dict(state, strict=True)</c>). Nothing is copied unless every name matches and every shape agrees.</summary>
    /// <exception cref="ArgumentException">Missing names, unexpected names or shape mismatches, listed in PyTorch's words:
    /// <c>Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "0.weight". </c></exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        IReadOnlyList<NamedTensor> named = NamedParameters();
        var missing = new List<string>();
        var mismatches = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (NamedTensor parameter in named)
        {
            known.Add(parameter.Name);
            if (!state.TryGetValue(parameter.Name, out Tensor source)) missing.Add(parameter.Name);
            else if (!source.Shape.SequenceEqual(parameter.Value.Shape))
                mismatches.Add($"size mismatch for {parameter.Name}: copying a param with shape {ShapeMath.TorchSize(source.Shape)} " +
                    $"from checkpoint, the shape in current model is {ShapeMath.TorchSize(parameter.Value.Shape)}.");
        }
        var unexpected = new List<string>();
        foreach (KeyValuePair<string, Tensor> entry in state)
            if (!known.Contains(entry.Key)) unexpected.Add(entry.Key);

        if (missing.Count + unexpected.Count + mismatches.Count > 0)
        {
            var errors = new List<string>();
            if (missing.Count > 0) errors.Add($"Missing key(s) in state_dict: {QuotedList(missing)}. ");
            if (unexpected.Count > 0) errors.Add($"Unexpected key(s) in state_dict: {QuotedList(unexpected)}. ");
            errors.AddRange(mismatches);
            throw new ArgumentException($"Error(s) in loading state_dict for {TypeName}:\n\t{string.Join("\n\t", errors)}");
        }

        foreach (NamedTensor parameter in named)
            CopyInto(parameter.Value, state[parameter.Name]);
    }

    private static string QuotedList(List<string> names) => string.Join(", ", names.Select(n => $"\"{n}\""));

    /// <summary>param.copy_(source) under no-grad; the source may live in another arena.</summary>
    private static void CopyInto(Tensor parameter, Tensor source)
    {
        Arena arena = parameter.Arena;
        if (ReferenceEquals(source.Arena, arena))
        {
            using (arena.NoGrad()) parameter.CopyFrom(source);
            return;
        }
        arena.ThrowIfReadOnly(parameter.Slot, "loaded into"); // a view borrowed from a frozen arena
        source.AsSpanUnsafely().CopyTo(parameter.AsSpanUnsafely());
        arena.BumpVersion(parameter.Slot); // an in-place change, as copy_ is: backward catches graphs that saved the old values
    }

    /// <summary>Sets training mode on this module and every descendant (<c>train(mode)</c>). Returns this module.</summary>
    public Module Train(bool mode = true)
    {
        IsTraining = mode;
        foreach ((_, Module child) in _children) child.Train(mode);
        return this;
    }

    /// <summary>Sets evaluation mode (<c>eval()</c>): the same as <c>Train(false)</c>. Returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>Turns requires_grad on or off for every parameter (<c>requires_grad_(requiresGrad)</c>): freezing a
    /// module means backward computes no gradient for its parameters and the optimizers skip them. Returns this module.</summary>
    public Module RequiresGrad(bool requiresGrad = true)
    {
        foreach (Tensor parameter in Parameters()) parameter.SetRequiresGrad(requiresGrad);
        return this;
    }

    /// <summary>Sets every parameter's gradient to null (<c>zero_grad(set_to_none=True)</c>), as <c>Optimizer.ZeroGrad</c> does.</summary>
    public void ZeroGrad()
    {
        IReadOnlyList<Tensor> parameters = Parameters();
        for (int i = 0; i < parameters.Count; i++) parameters[i].ZeroGrad();
    }

    /// <summary>Adds a parameter named <paramref name="name"/> (<c>register_parameter</c>). Returns it.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is taken; the tensor is not a leaf.</exception>
    /// <exception cref="InvalidOperationException">The parameter lists were already built.</exception>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfSealed(name);
        if (name.Length == 0) throw new ArgumentException("parameter name can't be empty string \"\"", nameof(name));
        if (name.Contains('.', StringComparison.Ordinal)) throw new ArgumentException("parameter name can't contain \".\"", nameof(name));
        ThrowIfTaken(name);
        if (!parameter.IsLeaf)
            throw new ArgumentException(
                $"Cannot assign a non-leaf tensor (grad_fn={parameter.GradFn}) as parameter '{name}': parameters must be leaves; make it with requiresGrad: true, or register its Detach().",
                nameof(parameter));
        _ownParameters.Add(new NamedTensor(name, parameter));
        return parameter;
    }

    /// <summary>Adds a child module named <paramref name="name"/> (<c>add_module</c>); its parameters are listed as
    /// <c>name.weight</c> and so on. Returns it.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is taken.</exception>
    /// <exception cref="InvalidOperationException">The parameter lists were already built.</exception>
    protected TModule RegisterModule<TModule>(string name, TModule module) where TModule : Module
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(module);
        ThrowIfSealed(name);
        if (name.Length == 0) throw new ArgumentException("module name can't be empty string \"\"", nameof(name));
        if (name.Contains('.', StringComparison.Ordinal)) throw new ArgumentException($"module name can't contain \".\", got: {name}", nameof(name));
        ThrowIfTaken(name);
        if (ReferenceEquals(module, this)) throw new ArgumentException("A module cannot be its own child.", nameof(module));
        _children.Add((name, module));
        return module;
    }

    /// <summary>The child modules with their names, in registration order (<c>named_children()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    private void ThrowIfTaken(string name)
    {
        foreach (NamedTensor parameter in _ownParameters)
            if (parameter.Name == name) throw new ArgumentException($"attribute '{name}' already exists", nameof(name));
        foreach ((string childName, _) in _children)
            if (childName == name) throw new ArgumentException($"attribute '{name}' already exists", nameof(name));
    }

    private void ThrowIfSealed(string name)
    {
        if (_sealed)
            throw new InvalidOperationException(
                $"Cannot register '{name}' on {TypeName}: its parameter list was already built (by NamedParameters, Parameters or " +
                "StateDict, of this module or of a module containing it). Register parameters and children in the constructor.");
    }

    private void Build()
    {
        var named = new List<NamedTensor>();
        var seen = new HashSet<Tensor>();
        Collect("", named, seen);
        var tensors = new Tensor[named.Count];
        for (int i = 0; i < tensors.Length; i++) tensors[i] = named[i].Value;
        _namedParameters = new ReadOnlyCollection<NamedTensor>(named.ToArray());
        _parameters = new ReadOnlyCollection<Tensor>(tensors);
    }

    private void Collect(string prefix, List<NamedTensor> into, HashSet<Tensor> seen)
    {
        _sealed = true;
        foreach (NamedTensor parameter in _ownParameters)
            if (seen.Add(parameter.Value)) into.Add(new NamedTensor(prefix + parameter.Name, parameter.Value));
        foreach ((string name, Module child) in _children)
            child.Collect(prefix + name + ".", into, seen);
    }

    /// <summary>The name PyTorch prints for this module (<c>Linear</c>, <c>ReLU</c>); the class name by default.</summary>
    protected virtual string TypeName => GetType().Name;

    /// <summary>The settings printed inside the parentheses (<c>extra_repr()</c>), e.g. <c>in_features=6, out_features=16, bias=True</c>.</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>PyTorch's <c>repr(module)</c>: <c>Sequential(\n  (0): Linear(in_features=6, out_features=16, bias=True)\n  ...)</c>.</summary>
    public override string ToString()
    {
        string extra = ExtraRepr();
        string[] extraLines = extra.Length == 0 ? [] : extra.Split('\n');
        var lines = new List<string>(extraLines);
        foreach ((string name, Module child) in _children)
            lines.Add($"({name}): {child.ToString().Replace("\n", "\n  ", StringComparison.Ordinal)}");
        var text = new StringBuilder(TypeName).Append('(');
        if (extraLines.Length == 1 && _children.Count == 0) text.Append(extraLines[0]);
        else if (lines.Count > 0) text.Append("\n  ").AppendJoin("\n  ", lines).Append('\n');
        return text.Append(')').ToString();
    }

    /// <summary>Throws unless <paramref name="arena"/> has no open scope: parameters made now must outlive every step.</summary>
    private protected static void ThrowIfScopeOpen(Arena arena, string what)
    {
        ArgumentNullException.ThrowIfNull(arena);
        arena.ThrowIfScopeOpen($"{what} makes its parameters when it is constructed", "Construct modules (and optimizers)");
    }
}
