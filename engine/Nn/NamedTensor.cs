namespace ArenaGrad.Nn;

/// <summary>A tensor with its PyTorch name, as in <c>named_parameters()</c> and <c>state_dict()</c> (<c>0.weight</c>, <c>1.0.bias</c>, ...).</summary>
/// <param name="Name">The dotted path of the tensor in its module tree.</param>
/// <param name="Value">The tensor itself (not a copy).</param>
public readonly record struct NamedTensor(string Name, Tensor Value);
