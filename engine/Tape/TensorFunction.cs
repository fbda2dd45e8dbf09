namespace ArenaGrad;

/// <summary>A program from tensors to a tensor, as <see cref="Autograd.GradCheck"/> takes it: <c>t =&gt; (t[0] * t[1]).Sum()</c>.</summary>
/// <remarks>A delegate of its own rather than <c>Func&lt;ReadOnlySpan&lt;Tensor&gt;, Tensor&gt;</c>: a span cannot be
/// a generic argument before .NET 9, and the engine also targets .NET 8. Lambdas convert to either the same way.</remarks>
/// <param name="inputs">The inputs, in the order they were given.</param>
/// <returns>Any tensor of the inputs' arena.</returns>
public delegate Tensor TensorFunction(ReadOnlySpan<Tensor> inputs);
