using ArenaGrad.Nn;

namespace ArenaGrad.Sequence;

/// <summary>
/// A GRU over standardized Lorenz states and a linear head on its output: at each step, the next change of the state
/// divided by <see cref="LorenzData.DeltaScale"/>.
/// </summary>
internal sealed class SequenceModel : Module
{
    /// <summary>Makes the layers in <paramref name="arena"/> (outside any scope), initialized as PyTorch does.</summary>
    public SequenceModel(Arena arena, int hidden, int layers)
    {
        Gru = RegisterModule("gru", new GRU(arena, 3, hidden, numLayers: layers));
        Head = RegisterModule("head", new Linear(arena, hidden, 3));
    }

    /// <summary>The recurrent layer (sequence-first: [time, batch, 3]).</summary>
    public GRU Gru { get; }

    /// <summary>Maps a hidden state to the scaled next change.</summary>
    public Linear Head { get; }

    /// <summary>Scaled next changes for <paramref name="states"/> [time, batch, 3], starting from hidden state
    /// <paramref name="h0"/> [layers, batch, hidden]; <paramref name="hn"/> is the state after the last step.</summary>
    public Tensor Changes(Tensor states, Tensor h0, out Tensor hn)
    {
        (Tensor output, Tensor last) = Gru.Forward(states, h0);
        hn = last;
        return Head.Forward(output);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Head.Forward(Gru.Forward(input).Output);
}
