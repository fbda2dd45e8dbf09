namespace ArenaGrad.Nn;

/// <summary>A multilayer perceptron: <c>Sequential(Linear(s0, s1), act, Linear(s1, s2), act, ..., Linear(sn−1, sn))</c>
/// with no activation after the last Linear. Parameters are named <c>0.weight</c>, <c>0.bias</c>, <c>2.weight</c>, ...</summary>
public sealed class Mlp : Sequential
{
    /// <summary>Builds the layers for <paramref name="sizes"/> (input features, hidden sizes..., output features), making
    /// the Linear parameters in <paramref name="arena"/> in layer order.</summary>
    /// <param name="arena">Where the parameters live; no scope may be open.</param>
    /// <param name="sizes">At least two sizes: e.g. [2, 32, 32, 2] makes three Linear layers.</param>
    /// <param name="activation">Makes the activation placed between Linear layers (called once per gap); <see cref="Tanh"/> by default.</param>
    /// <exception cref="ArgumentException">Fewer than two sizes, a size below 1, or an activation factory that returned null.</exception>
    public Mlp(Arena arena, ReadOnlySpan<int> sizes, Func<Module>? activation = null)
        : base(Layers(arena, sizes, activation))
    {
    }

    private static Module[] Layers(Arena arena, ReadOnlySpan<int> sizes, Func<Module>? activation)
    {
        ArgumentNullException.ThrowIfNull(arena);
        if (sizes.Length < 2)
            throw new ArgumentException($"Mlp needs at least two sizes (input and output features), but got {sizes.Length}.", nameof(sizes));
        for (int i = 0; i < sizes.Length; i++)
            if (sizes[i] < 1) throw new ArgumentException($"Mlp sizes must be at least 1, but sizes[{i}] is {sizes[i]}.", nameof(sizes));
        ThrowIfScopeOpen(arena, nameof(Mlp));
        using OpTransaction op = arena.BeginOp(); // every layer's parameters, or none
        var layers = new Module[2 * (sizes.Length - 1) - 1];
        for (int i = 0; i < sizes.Length - 1; i++)
        {
            layers[2 * i] = new Linear(arena, sizes[i], sizes[i + 1]);
            if (i < sizes.Length - 2)
                layers[2 * i + 1] = activation is null ? new Tanh()
                    : activation() ?? throw new ArgumentException("The activation factory returned null.", nameof(activation));
        }
        op.Commit();
        return layers;
    }
}
