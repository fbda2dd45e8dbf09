namespace ArenaGrad.Nn;

/// <summary>A tensor with its name, as in PyTorch's <c>named_parameters()</c> and <c>state_dict()</c> (<c>0.weight</c>).</summary>
/// <param name="Name">The parameter's or buffer's name.</param>
/// <param name="Value">The tensor.</param>
public readonly record struct NamedTensor(string Name, Tensor Value);
