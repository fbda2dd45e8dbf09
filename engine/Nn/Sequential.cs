using System.Collections;
using System.Collections.Generic;
using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary>Runs its layers in order, each on the previous one's output (<c>nn.Sequential</c>). Children are
/// named by index, so parameters are named <c>0.weight</c>, <c>2.bias</c>, and <c>1.0.weight</c> when nested.</summary>
public class Sequential : Module, IReadOnlyList<Module>
{
    private readonly Module[] _layers;

    /// <summary>A network of <paramref name="layers"/>, run first to last.</summary>
    /// <exception cref="ArgumentNullException">A layer is null.</exception>
    public Sequential(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        _layers = (Module[])layers.Clone();
        for (int i = 0; i < _layers.Length; i++)
        {
            if (_layers[i] is null) throw new ArgumentNullException(nameof(layers), $"Sequential got null for layer {i}.");
            RegisterModule(i.ToString(CultureInfo.InvariantCulture), _layers[i]);
        }
    }

    /// <summary>The layer at <paramref name="index"/>.</summary>
    public Module this[int index] => _layers[index];

    /// <summary>Number of layers.</summary>
    public int Count => _layers.Length;

    /// <summary>layers[n−1](... layers[0](input)); the input itself when there are no layers.</summary>
    public override Tensor Forward(Tensor input)
    {
        Tensor x = input;
        foreach (Module layer in _layers) x = layer.Call(x); // Call, so the layers' forward hooks run
        return x;
    }

    /// <summary>The layers, first to last.</summary>
    public IEnumerator<Module> GetEnumerator() => ((IEnumerable<Module>)_layers).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    protected override string TypeName => GetType() == typeof(Sequential) ? "Sequential" : base.TypeName;
}
