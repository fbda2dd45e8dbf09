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
/// <para>Register parameters, buffers and children in the constructor (<see cref="RegisterParameter"/>,
/// <see cref="RegisterBuffer"/>, <see cref="RegisterModule{TModule}"/>). The first call of <see cref="NamedParameters"/>,
/// <see cref="Parameters"/>, <see cref="NamedBuffers"/>, <see cref="Buffers"/> or <see cref="StateDict"/> builds every
/// list once and seals this module and its descendants: later registrations throw, and later calls return the same
/// lists without allocating.</para>
/// <para>Modules start in training mode, as in PyTorch.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
    Justification = "PyTorch's name (nn.Module), pinned by the API; only a Visual Basic keyword.")]
public abstract class Module : IHookOwner
{
    private readonly List<NamedTensor> _ownParameters = [];
    private readonly List<(string Name, Tensor? Buffer)> _ownBuffers = [];
    private readonly List<(string Name, Module Module)> _children = [];
    private ReadOnlyCollection<NamedTensor>? _namedParameters;
    private ReadOnlyCollection<Tensor>? _parameters;
    private ReadOnlyCollection<NamedTensor>? _namedBuffers;
    private ReadOnlyCollection<Tensor>? _buffers;
    private ReadOnlyCollection<NamedTensor>? _stateDict;
    private readonly List<string> _ownZeroIfMissing = [];
    private HashSet<string>? _zeroIfMissing; // full names of buffers a state dict may leave out (set to 0 then)
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

    /// <summary>Whether the module is in training mode (<c>module.training</c>); <see cref="Dropout"/> and the batch norms act on it.</summary>
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

    /// <summary>Every buffer (state that is not a parameter, such as a batch norm's <c>running_mean</c>) with its PyTorch
    /// name, own buffers first, then each child's in registration order (<c>named_buffers()</c>); a buffer registered as
    /// null is not listed, and a tensor registered twice is listed once. Built on the first call.</summary>
    public IReadOnlyList<NamedTensor> NamedBuffers()
    {
        if (_namedBuffers is null) Build();
        return _namedBuffers!;
    }

    /// <summary>The tensors of <see cref="NamedBuffers"/>, in the same order (<c>buffers()</c>).</summary>
    public IReadOnlyList<Tensor> Buffers()
    {
        if (_buffers is null) Build();
        return _buffers!;
    }

    /// <summary>The tensors a checkpoint holds, by name (<c>state_dict()</c>), in PyTorch's order: for each module, its own
    /// parameters, then its own buffers, then each child's entries in registration order (so a
    /// <c>Sequential(Linear, BatchNorm1d)</c> gives <c>0.weight, 0.bias, 1.weight, 1.bias, 1.running_mean, 1.running_var,
    /// 1.num_batches_tracked</c>). It lists the tensors themselves (not copies): saving reads their current values.</summary>
    public IReadOnlyList<NamedTensor> StateDict()
    {
        if (_stateDict is null) Build();
        return _stateDict!;
    }

    /// <summary>Copies every value of <paramref name="state"/> into the parameter or buffer of the same name
    /// (<c>load_state_dict(state, strict=True)</c>). Nothing is copied unless every name matches and every shape agrees.
    /// A value of another dtype is converted as <c>copy_</c> converts (Float32 to Int32 truncates), so an Int32 buffer
    /// such as <c>num_batches_tracked</c> loads from a Float32 or Int32 tensor.</summary>
    /// <exception cref="ArgumentException">Missing names, unexpected names or shape mismatches, listed in PyTorch's words:
    /// <c>Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "0.weight". </c></exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        IReadOnlyList<NamedTensor> named = StateDict();
        var missing = new List<string>();
        var mismatches = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (NamedTensor parameter in named)
        {
            known.Add(parameter.Name);
            if (!state.TryGetValue(parameter.Name, out Tensor source))
            {
                if (!_zeroIfMissing!.Contains(parameter.Name)) missing.Add(parameter.Name);
            }
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
        {
            if (state.TryGetValue(parameter.Name, out Tensor source)) CopyInto(parameter.Value, source);
            else ZeroInto(parameter.Value);
        }
    }

    /// <summary>A buffer the state dict left out that PyTorch fills with 0 (<c>num_batches_tracked</c> of a state dict without
    /// version metadata, as one read from a safetensors file).</summary>
    private static void ZeroInto(Tensor buffer)
    {
        Arena arena = buffer.Arena;
        arena.ThrowIfReadOnly(buffer.Slot, "loaded into");
        arena.Values(buffer.Slot).Clear(); // 0 has the same bits in Float32 and Int32
        arena.BumpVersion(buffer.Slot);
    }

    private static string QuotedList(List<string> names) => string.Join(", ", names.Select(n => $"\"{n}\""));

    /// <summary>param.copy_(source) under no-grad; the source may live in another arena or have another dtype.</summary>
    private static void CopyInto(Tensor parameter, Tensor source)
    {
        Arena arena = parameter.Arena;
        if (source.DType != parameter.DType)
        {
            arena.ThrowIfReadOnly(parameter.Slot, "loaded into");
            ConvertInto(source, parameter);
            arena.BumpVersion(parameter.Slot);
            return;
        }
        if (ReferenceEquals(source.Arena, arena))
        {
            using (arena.NoGrad()) parameter.CopyFrom(source);
            return;
        }
        arena.ThrowIfReadOnly(parameter.Slot, "loaded into"); // a view borrowed from a frozen arena
        source.AsSpanUnsafely().CopyTo(parameter.AsSpanUnsafely());
        arena.BumpVersion(parameter.Slot); // an in-place change, as copy_ is: backward catches graphs that saved the old values
    }

    /// <summary>copy_ across dtypes: Float32 to Int32 truncates toward zero (saturating, NaN to 0), as <c>To</c> does;
    /// Bool reads as 0 or 1.</summary>
    private static void ConvertInto(Tensor source, Tensor target)
    {
        Arena from = source.Arena, to = target.Arena;
        int count = source.Count;
        if (target.DType == DType.Float32)
        {
            Span<float> values = to.Values(target.Slot);
            if (source.DType == DType.Int32)
            {
                ReadOnlySpan<int> ints = from.IntValues(source.Slot);
                for (int i = 0; i < count; i++) values[i] = ints[i];
            }
            else
            {
                ReadOnlySpan<float> bits = from.Values(source.Slot); // Bool stores 0 or 1 in 4 bytes
                for (int i = 0; i < count; i++) values[i] = BitConverter.SingleToInt32Bits(bits[i]) != 0 ? 1f : 0f;
            }
            return;
        }
        if (target.DType == DType.Int32)
        {
            Span<int> ints = to.IntValues(target.Slot);
            if (source.DType == DType.Float32)
            {
                ReadOnlySpan<float> values = from.Values(source.Slot);
                for (int i = 0; i < count; i++) ints[i] = float.IsNaN(values[i]) ? 0 : (int)Math.Clamp(values[i], int.MinValue, int.MaxValue);
            }
            else
            {
                ReadOnlySpan<float> bits = from.Values(source.Slot);
                for (int i = 0; i < count; i++) ints[i] = BitConverter.SingleToInt32Bits(bits[i]) != 0 ? 1 : 0;
            }
            return;
        }
        throw new ArgumentException($"Cannot load a {source.DType} tensor into a {target.DType} one.", nameof(source));
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

    /// <summary>Adds a buffer named <paramref name="name"/> (<c>register_buffer(name, tensor)</c>): state saved in the
    /// state dict and loaded by <see cref="LoadStateDict"/> that is not a parameter (optimizers never see it, and it never
    /// requires grad), such as a batch norm's running statistics. A null buffer reserves the name and is listed nowhere,
    /// as PyTorch's <c>None</c> buffers. Make it outside any scope, as parameters. Returns it.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is taken; the tensor requires grad.</exception>
    /// <exception cref="InvalidOperationException">The lists were already built.</exception>
    protected Tensor? RegisterBuffer(string name, Tensor? buffer)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfSealed(name);
        if (name.Length == 0) throw new ArgumentException("buffer name can't be empty string \"\"", nameof(name));
        if (name.Contains('.', StringComparison.Ordinal)) throw new ArgumentException("buffer name can't contain \".\"", nameof(name));
        ThrowIfTaken(name);
        if (buffer is Tensor tensor && tensor.RequiresGrad)
            throw new ArgumentException(
                $"Buffer '{name}' requires grad: buffers hold state that is not trained (register it as a parameter, or register its Detach()).",
                nameof(buffer));
        _ownBuffers.Add((name, buffer));
        return buffer;
    }

    /// <summary><see cref="RegisterBuffer"/> for a buffer that <see cref="LoadStateDict"/> sets to 0 when the state dict
    /// leaves it out instead of reporting it missing, as PyTorch's batch norm does for <c>num_batches_tracked</c> in a state
    /// dict without version metadata (every plain dictionary, such as one read from a safetensors file).</summary>
    private protected Tensor? RegisterBufferZeroIfMissing(string name, Tensor? buffer)
    {
        Tensor? registered = RegisterBuffer(name, buffer);
        _ownZeroIfMissing.Add(name);
        return registered;
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
        foreach ((string bufferName, _) in _ownBuffers)
            if (bufferName == name) throw new ArgumentException($"attribute '{name}' already exists", nameof(name));
        foreach ((string childName, _) in _children)
            if (childName == name) throw new ArgumentException($"attribute '{name}' already exists", nameof(name));
    }

    private void ThrowIfSealed(string name)
    {
        if (_sealed)
            throw new InvalidOperationException(
                $"Cannot register '{name}' on {TypeName}: its parameter list was already built (by NamedParameters, Parameters, NamedBuffers, " +
                "Buffers or StateDict, of this module or of a module containing it). Register parameters, buffers and children in the constructor.");
    }

    private void Build()
    {
        var parameters = new List<NamedTensor>();
        var buffers = new List<NamedTensor>();
        var state = new List<NamedTensor>();
        var zeroIfMissing = new HashSet<string>(StringComparer.Ordinal);
        Collect("", parameters, buffers, state, zeroIfMissing, new HashSet<Tensor>(), new HashSet<Tensor>(), new HashSet<Tensor>());
        _zeroIfMissing = zeroIfMissing;
        _namedParameters = new ReadOnlyCollection<NamedTensor>(parameters.ToArray());
        _parameters = new ReadOnlyCollection<Tensor>(parameters.Select(p => p.Value).ToArray());
        _namedBuffers = new ReadOnlyCollection<NamedTensor>(buffers.ToArray());
        _buffers = new ReadOnlyCollection<Tensor>(buffers.Select(b => b.Value).ToArray());
        _stateDict = new ReadOnlyCollection<NamedTensor>(state.ToArray());
    }

    // named_parameters() and named_buffers() walk the tree twice (own, then children); state_dict() once, each module
    // giving its parameters, then its buffers, then its children. The three orders are collected in one walk.
    private void Collect(string prefix, List<NamedTensor> parameters, List<NamedTensor> buffers, List<NamedTensor> state,
        HashSet<string> zeroIfMissing, HashSet<Tensor> seenParameters, HashSet<Tensor> seenBuffers, HashSet<Tensor> seenState)
    {
        _sealed = true;
        foreach (NamedTensor parameter in _ownParameters)
        {
            if (seenParameters.Add(parameter.Value)) parameters.Add(new NamedTensor(prefix + parameter.Name, parameter.Value));
            if (seenState.Add(parameter.Value)) state.Add(new NamedTensor(prefix + parameter.Name, parameter.Value));
        }
        foreach (string name in _ownZeroIfMissing) zeroIfMissing.Add(prefix + name);
        foreach ((string name, Tensor? buffer) in _ownBuffers)
        {
            if (buffer is not Tensor tensor) continue;
            if (seenBuffers.Add(tensor)) buffers.Add(new NamedTensor(prefix + name, tensor));
            if (seenState.Add(tensor)) state.Add(new NamedTensor(prefix + name, tensor));
        }
        foreach ((string name, Module child) in _children)
            child.Collect(prefix + name + ".", parameters, buffers, state, zeroIfMissing, seenParameters, seenBuffers, seenState);
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
