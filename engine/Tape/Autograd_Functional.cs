using ArenaGrad.Memory;

namespace ArenaGrad;

// torch.autograd.functional (PyTorch 1.13): jacobian, hessian, vjp, jvp and hvp of a function of one tensor, built on
// Autograd.Grad(createGraph: true). Semantics follow PyTorch's with strict=False and the reverse-mode strategy:
// - the input is replaced by a new tensor that requires grad (_grad_preprocess): input.Detach() made to require grad,
//   or, with createGraph and an input that requires grad, a differentiable view of it, so the results are
//   differentiable back to the caller's input;
// - the function runs in grad mode; an output (or gradient) that does not depend on the input gives zeros;
// - without createGraph, nothing returned requires grad (_grad_postprocess detaches the output).
public static partial class Autograd
{
    /// <summary><c>torch.autograd.functional.jacobian(function, input, create_graph)</c>: J[i…, j…] = ∂ f(x)[i…] / ∂ x[j…],
    /// of shape <c>f(x).Shape</c> followed by <c>x.Shape</c>. One reverse pass per output element.</summary>
    /// <param name="function">f: one input (in <c>inputs[0]</c>), any tensor of the same arena out.</param>
    /// <param name="input">x, the point (float32). It need not require grad.</param>
    /// <param name="createGraph">Make the Jacobian differentiable (with respect to <paramref name="input"/> when it
    /// requires grad, and to tensors the function captures).</param>
    /// <returns>The Jacobian; zeros where the output does not depend on the input.</returns>
    /// <remarks>The function's graph stays in the arena until the caller's scope ends; without
    /// <paramref name="createGraph"/> each row's backward pass runs in a scope of its own.</remarks>
    /// <exception cref="ArgumentException">f(x) and x have more than 8 dims together (the engine's highest rank).</exception>
    public static Tensor Jacobian(TensorFunction function, Tensor input, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        Arena arena = input.Arena;
        Tensor x = Preprocess(input, createGraph);
        Tensor output;
        using (arena.EnableGrad()) output = Evaluate(function, x);
        return JacobianOf(output, x, createGraph);
    }

    /// <summary><c>torch.autograd.functional.hessian(function, input, create_graph)</c>: H[i…, j…] = ∂² f(x) / ∂ x[i…] ∂ x[j…]
    /// for a function with one output element, of shape <c>x.Shape</c> followed by <c>x.Shape</c>: the Jacobian of
    /// ∇f, which <see cref="Grad(Tensor, Tensor, bool, bool?)"/> gives with createGraph.</summary>
    /// <param name="function">f: one input, an output of one element.</param>
    /// <param name="input">x, the point (float32).</param>
    /// <param name="createGraph">Make the Hessian differentiable (third derivatives).</param>
    /// <returns>The Hessian; zeros where the gradient does not depend on the input (f linear or constant in x).</returns>
    /// <exception cref="InvalidOperationException">f(x) has more than one element (PyTorch's message).</exception>
    /// <exception cref="ArgumentException">x has more than 4 dims (the Hessian's rank is twice x's; the engine's highest is 8).</exception>
    public static Tensor Hessian(TensorFunction function, Tensor input, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        Arena arena = input.Arena;
        Tensor x = Preprocess(input, createGraph);
        Tensor gradient;
        using (arena.EnableGrad())
        {
            Tensor output = Evaluate(function, x);
            if (output.Count != 1)
                throw new InvalidOperationException("The Tensor returned by the function given to hessian should contain a single element");
            // The inner Jacobian (PyTorch's jac_func): always with a graph, so the outer one can differentiate it.
            gradient = GradOrNull(output, x, null, createGraph: true) ?? arena.Zeros(x.Shape);
        }
        return JacobianOf(gradient, x, createGraph);
    }

    /// <summary><c>torch.autograd.functional.vjp(function, input, v, create_graph)</c>: the vector-Jacobian product
    /// vᵀ·J = ∂(Σ v · f(x)) / ∂x, of the input's shape.</summary>
    /// <param name="function">f: one input, any output.</param>
    /// <param name="input">x, the point (float32).</param>
    /// <param name="v">The vector, of f(x)'s shape; null means 1 for an output of one element.</param>
    /// <param name="createGraph">Make both results differentiable.</param>
    /// <returns><c>Output</c>: f(x) (detached unless <paramref name="createGraph"/>); <c>Vjp</c>: vᵀ·J, of x's shape
    /// (zeros if f(x) does not depend on x).</returns>
    /// <exception cref="ArgumentException"><paramref name="v"/> is not of f(x)'s shape (PyTorch's message).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="v"/> is null and f(x) has more than one element
    /// (PyTorch's message).</exception>
    public static (Tensor Output, Tensor Vjp) Vjp(TensorFunction function, Tensor input, Tensor? v = null, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        Arena arena = input.Arena;
        Tensor x = Preprocess(input, createGraph);
        Tensor output;
        using (arena.EnableGrad()) output = Evaluate(function, x);
        if (v is Tensor vector) ValidateV(vector, output);
        else if (output.Count != 1)
            throw new InvalidOperationException(
                "The vector v can only be None if the user-provided function returns a single Tensor with a single element.");
        Tensor product = GradOrNull(output, x, v, createGraph) ?? arena.Zeros(x.Shape);
        return (Postprocess(output, createGraph), product);
    }

    /// <summary><c>torch.autograd.functional.jvp(function, input, v, create_graph)</c>: the Jacobian-vector product
    /// J·v, of f(x)'s shape, by the double-vjp trick: u ↦ uᵀ·J is linear in u, and its gradient with respect to u,
    /// seeded with v, is J·v.</summary>
    /// <param name="function">f: one input, any output.</param>
    /// <param name="input">x, the point (float32).</param>
    /// <param name="v">The tangent, of x's shape; null means 1 for an input of one element.</param>
    /// <param name="createGraph">Make both results differentiable.</param>
    /// <returns><c>Output</c>: f(x) (detached unless <paramref name="createGraph"/>); <c>Jvp</c>: J·v, of f(x)'s shape
    /// (zeros if f(x) does not depend on x).</returns>
    /// <remarks>As in PyTorch this costs two reverse passes and needs every op on the path to have a graph rule that
    /// is differentiable in its incoming gradient (all of the engine's are linear in it).</remarks>
    /// <exception cref="ArgumentException"><paramref name="v"/> is not of x's shape (PyTorch's message).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="v"/> is null and x has more than one element
    /// (PyTorch's message).</exception>
    public static (Tensor Output, Tensor Jvp) Jvp(TensorFunction function, Tensor input, Tensor? v = null, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        Arena arena = input.Arena;
        Tensor x = Preprocess(input, createGraph);
        ValidateTangent(v, x);
        Tensor output;
        Tensor? gradInput;
        Tensor u;
        using (arena.EnableGrad())
        {
            output = Evaluate(function, x);
            // The backward is linear in u, so its value does not matter; zeros (never inf or NaN) as PyTorch.
            u = arena.Zeros(output.Shape, requiresGrad: true);
            gradInput = GradOrNull(output, x, u, createGraph: true);
        }
        Tensor product = (gradInput is Tensor uJ ? GradOrNull(uJ, u, v, createGraph) : null) ?? arena.Zeros(output.Shape);
        return (Postprocess(output, createGraph), product);
    }

    /// <summary><c>torch.autograd.functional.hvp(function, input, v, create_graph)</c>: the Hessian-vector product
    /// H·v, of x's shape, for a function with one output element. As PyTorch: the gradient g = ∇f, then
    /// w ↦ ∂(g · w)/∂x (that is Hᵀ·w), then its gradient with respect to w seeded with v, which is H·v.</summary>
    /// <param name="function">f: one input, an output of one element.</param>
    /// <param name="input">x, the point (float32).</param>
    /// <param name="v">The vector, of x's shape; null means 1 for an input of one element.</param>
    /// <param name="createGraph">Make both results differentiable.</param>
    /// <returns><c>Output</c>: f(x) (detached unless <paramref name="createGraph"/>); <c>Hvp</c>: H·v, of x's shape
    /// (zeros where the gradient does not depend on x).</returns>
    /// <exception cref="ArgumentException"><paramref name="v"/> is not of x's shape (PyTorch's message).</exception>
    /// <exception cref="InvalidOperationException">f(x) has more than one element, or <paramref name="v"/> is null
    /// and x has more than one (PyTorch's messages).</exception>
    public static (Tensor Output, Tensor Hvp) Hvp(TensorFunction function, Tensor input, Tensor? v = null, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        Arena arena = input.Arena;
        Tensor x = Preprocess(input, createGraph);
        ValidateTangent(v, x);
        Tensor output;
        Tensor? doubleBack = null;
        Tensor w;
        using (arena.EnableGrad())
        {
            output = Evaluate(function, x);
            if (output.Count != 1)
                throw new InvalidOperationException("The Tensor returned by the function given to hvp should contain a single element");
            Tensor? gradient = GradOrNull(output, x, null, createGraph: true);
            w = arena.Zeros(x.Shape, requiresGrad: true);
            if (gradient is Tensor g) doubleBack = GradOrNull(g, x, w, createGraph: true);
        }
        Tensor product = (doubleBack is Tensor hw ? GradOrNull(hw, w, v, createGraph) : null) ?? arena.Zeros(x.Shape);
        return (Postprocess(output, createGraph), product);
    }

    /// <summary>_grad_preprocess: a new tensor object for the function's input, so it is told apart from the same
    /// tensor captured by the function (PyTorch issue 32576).</summary>
    private static Tensor Preprocess(Tensor input, bool createGraph)
    {
        Arena arena = input.Arena;
        arena.OwnSlot(input);
        if (createGraph && input.RequiresGrad)
        {
            using (arena.EnableGrad()) return input.Reshape(input.Shape); // view_as: differentiable back to the input
        }
        return input.Detach().SetRequiresGrad(true);
    }

    /// <summary>_grad_postprocess: without createGraph nothing returned carries history.</summary>
    private static Tensor Postprocess(Tensor result, bool createGraph) => createGraph || !result.RequiresGrad ? result : result.Detach();

    private static Tensor Evaluate(TensorFunction function, Tensor x)
    {
        Tensor output = function(new ReadOnlySpan<Tensor>(in x));
        x.Arena.OwnSlot(output); // a tensor of the same arena, alive
        return output;
    }

    /// <summary>PyTorch's _autograd_grad for one output and one input: an output that does not require grad is
    /// skipped, and an unused input gives null (the callers put zeros there, strict=False).</summary>
    private static Tensor? GradOrNull(Tensor output, Tensor input, Tensor? gradOutput, bool createGraph, bool retainGraph = false)
    {
        if (!output.RequiresGrad) return null;
        Span<Tensor?> result = [null];
        Tensor seed = gradOutput.GetValueOrDefault();
        ReadOnlySpan<Tensor> seeds = gradOutput.HasValue ? new ReadOnlySpan<Tensor>(in seed) : default;
        Grad(new ReadOnlySpan<Tensor>(in output), new ReadOnlySpan<Tensor>(in input), seeds, result,
            retainGraph || createGraph, createGraph, allowUnused: true);
        return result[0];
    }

    /// <summary>The rows of the Jacobian of <paramref name="output"/> with respect to <paramref name="x"/>, one
    /// reverse pass each, seeded with a one-hot vector (the same values as PyTorch's backward from
    /// <c>out.reshape(-1)[j]</c>), then stacked and viewed as output.shape + x.shape.</summary>
    private static Tensor JacobianOf(Tensor output, Tensor x, bool createGraph)
    {
        Arena arena = x.Arena;
        int outputRank = output.Rank, inputRank = x.Rank;
        if (outputRank + inputRank > TensorLayout.MaxRank)
            throw new ArgumentException(
                $"The Jacobian of an output of rank {outputRank} with respect to an input of rank {inputRank} would have more than {TensorLayout.MaxRank} dims.",
                nameof(x));
        Span<int> shape = stackalloc int[outputRank + inputRank];
        output.Shape.CopyTo(shape);
        x.Shape.CopyTo(shape[outputRank..]);
        int rows = output.Count, columns = x.Count;

        if (!createGraph)
        {
            // Values only: each row's pass (one-hot seed, gradient tensors) is released by its own scope.
            Tensor jacobian = arena.Zeros(shape);
            if (!output.RequiresGrad || columns == 0) return jacobian;
            for (int j = 0; j < rows; j++)
            {
                using (arena.Scope())
                {
                    Tensor seed = arena.Zeros(shape[..outputRank]);
                    seed.AsSpanUnsafely()[j] = 1f;
                    if (GradOrNull(output, x, seed, createGraph: false, retainGraph: true) is Tensor row)
                        row.CopyTo(jacobian.AsSpanUnsafely().Slice(j * columns, columns));
                }
            }
            return jacobian;
        }

        if (rows == 0) return arena.Zeros(shape);
        var rowTensors = new Tensor[rows];
        for (int j = 0; j < rows; j++)
        {
            Tensor seed = arena.Zeros(shape[..outputRank]);
            seed.AsSpanUnsafely()[j] = 1f;
            rowTensors[j] = GradOrNull(output, x, seed, createGraph: true) ?? arena.Zeros(x.Shape);
        }
        // torch.stack(rows).view(out.size() + inp.size()): differentiable through Stack's graph rule.
        using (arena.EnableGrad()) return Functional.Stack(rowTensors).Reshape(shape);
    }

    /// <summary>_validate_v: v has exactly the shape of <paramref name="reference"/>.</summary>
    private static void ValidateV(Tensor v, Tensor reference)
    {
        reference.Arena.OwnSlot(v);
        if (!v.Shape.SequenceEqual(reference.Shape))
            throw new ArgumentException(
                $"v has invalid size: should be {ShapeMath.TorchSize(reference.Shape)} but got {ShapeMath.TorchSize(v.Shape)}.", nameof(v));
    }

    /// <summary>jvp's and hvp's v: of x's shape, or null for an input of one element.</summary>
    private static void ValidateTangent(Tensor? v, Tensor x)
    {
        if (v is Tensor vector) ValidateV(vector, x);
        else if (x.Count != 1)
            throw new InvalidOperationException(
                "The vector v can only be None if the input to the user-provided function is a single Tensor with a single element.");
    }
}
