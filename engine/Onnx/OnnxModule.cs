using System.Buffers.Binary;
using System.Collections.Generic;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using Google.Protobuf;

namespace ArenaGrad.IO;

/// <summary>An imported ONNX graph as a module: <see cref="Forward"/> runs its nodes in order with engine ops, so
/// the result is differentiable and the parameters (the graph's float initializers, under their ONNX names) can be
/// trained; BatchNormalization's input_mean and input_var initializers are buffers (state, as a batch norm's running
/// statistics), not parameters. Made by <see cref="Onnx.Load(Arena, string)"/>.</summary>
/// <remarks>Every name, attribute and constant was resolved and checked when the file was loaded: the forward pass
/// reads value slots by index and allocates nothing beyond what the engine ops themselves do.</remarks>
public sealed class OnnxModule : Module
{
    private readonly OnnxNode[] _nodes;
    private readonly Tensor[] _values;
    private readonly int _inputSlot, _outputSlot;
    // The file as loaded, with the parameters' data left out: Onnx.Save writes it back with their current values, so
    // every operator, attribute and name it read survives fine-tuning unchanged.
    private readonly ModelProto _template;
    private readonly (string Name, Tensor Value)[] _initializers;

    internal OnnxModule(OnnxNode[] nodes, Tensor[] values, int inputSlot, int outputSlot,
        List<(string Name, Tensor Value)> parameters, List<(string Name, Tensor Value)> buffers, string inputName, string outputName,
        int opsetVersion, ModelProto source)
    {
        _initializers = parameters.ToArray();
        _template = WithoutParameterData(source, parameters);
        _nodes = nodes;
        _values = values;
        _inputSlot = inputSlot;
        _outputSlot = outputSlot;
        InputName = inputName;
        OutputName = outputName;
        OpsetVersion = opsetVersion;
        var groups = new Dictionary<string, ParameterGroup>(StringComparer.Ordinal);
        foreach ((string name, Tensor value) in parameters) Register(name, value, groups, buffer: false);
        foreach ((string name, Tensor value) in buffers) Register(name, value, groups, buffer: true); // written back as they were read
    }

    /// <summary>The name of the graph input that <see cref="Forward"/> feeds.</summary>
    public string InputName { get; }

    /// <summary>The name of the graph output that <see cref="Forward"/> returns.</summary>
    public string OutputName { get; }

    /// <summary>The version of the default-domain operator set the file imports.</summary>
    public int OpsetVersion { get; }

    /// <summary>Number of graph nodes run per forward pass (Constant nodes were folded at load).</summary>
    public int NodeCount => _nodes.Length;

    /// <summary>Runs the graph on <paramref name="input"/> and returns its output.</summary>
    public override Tensor Forward(Tensor input)
    {
        Tensor[] values = _values;
        values[_inputSlot] = input;
        OnnxNode[] nodes = _nodes;
        for (int i = 0; i < nodes.Length; i++)
            values[nodes[i].Output] = nodes[i].Run(values);
        return values[_outputSlot];
    }

    /// <summary>The loaded model with every parameter initializer holding its current value, as float32 raw data.</summary>
    internal ModelProto ToModelProto()
    {
        ModelProto model = _template.Clone();
        var byName = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto initializer in model.Graph.Initializer) byName[initializer.Name] = initializer;
        foreach ((string name, Tensor value) in _initializers)
        {
            TensorProto tensor = byName[name];
            tensor.DataType = (int)TensorProto.Types.DataType.Float;
            ReadOnlySpan<float> data = value.AsSpanUnsafely();
            var bytes = new byte[data.Length * 4];
            for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
            tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
        }
        return model;
    }

    private static ModelProto WithoutParameterData(ModelProto source, List<(string Name, Tensor Value)> parameters)
    {
        ModelProto template = source.Clone();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, _) in parameters) names.Add(name);
        foreach (TensorProto initializer in template.Graph.Initializer)
            if (names.Contains(initializer.Name))
            {
                initializer.RawData = ByteString.Empty;
                initializer.FloatData.Clear();
            }
        return template;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => FormattableString.Invariant($"opset={OpsetVersion}, nodes={_nodes.Length}");

    /// <summary>Registers <paramref name="name"/> so that NamedParameters gives it back whole: a dotted name such as
    /// <c>0.weight</c> becomes parameter <c>weight</c> of a child group <c>0</c>, as PyTorch's names come about. A name
    /// that cannot be a path (empty segment, or a segment used both as parameter and as group) has its dots made
    /// underscores.</summary>
    private void Register(string name, Tensor value, Dictionary<string, ParameterGroup> groups, bool buffer)
    {
        string[] parts = name.Split('.');
        if (parts.Length > 1 && Array.TrueForAll(parts, p => p.Length > 0) && TryRegisterPath(parts, value, groups, buffer)) return;
        string flat = name.Replace('.', '_');
        if (flat.Length == 0) flat = "_";
        try
        {
            if (buffer) RegisterBuffer(flat, value);
            else RegisterParameter(flat, value);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"The ONNX initializer name '{name}' cannot be given to a parameter: {e.Message}", e);
        }
    }

    private bool TryRegisterPath(string[] parts, Tensor value, Dictionary<string, ParameterGroup> groups, bool buffer)
    {
        // Only groups that already exist can clash, and they come before any group made here: a failure
        // leaves nothing half-registered.
        Module owner = this;
        string prefix;
        // A new group's name must not clash with an existing parameter of its parent, and the leaf with nothing.
        try
        {
            prefix = "";
            for (int i = 0; i < parts.Length - 1; i++)
            {
                string key = prefix.Length == 0 ? parts[i] : prefix + "." + parts[i];
                if (!groups.TryGetValue(key, out ParameterGroup? group))
                {
                    group = new ParameterGroup();
                    if (owner is OnnxModule root) root.RegisterModule(parts[i], group);
                    else ((ParameterGroup)owner).AddGroup(parts[i], group);
                    groups.Add(key, group);
                }
                owner = group;
                prefix = key;
            }
            if (buffer) ((ParameterGroup)owner).AddBuffer(parts[^1], value);
            else ((ParameterGroup)owner).AddParameter(parts[^1], value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A level of a dotted parameter name (<c>0</c> in <c>0.weight</c>); holds no computation.</summary>
    private sealed class ParameterGroup : Module
    {
        public override Tensor Forward(Tensor input) =>
            throw new InvalidOperationException("An ONNX parameter group only names parameters; run the OnnxModule that holds it.");

        internal void AddGroup(string name, ParameterGroup group) => RegisterModule(name, group);

        internal void AddParameter(string name, Tensor value) => RegisterParameter(name, value);

        internal void AddBuffer(string name, Tensor value) => RegisterBuffer(name, value);

        protected override string TypeName => "ParameterGroup";
    }
}
