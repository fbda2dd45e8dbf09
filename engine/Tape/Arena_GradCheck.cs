using System.Collections.Generic;
using ArenaGrad.Memory;

namespace ArenaGrad;

public sealed unsafe partial class Arena
{
    /// <summary>What the gradient buffers of slots [0, <see cref="TensorCount"/>) held: for each slot with a gradient
    /// buffer, a copy of its values, or null when .grad was None.</summary>
    internal List<(int Slot, float[]? Values)> SnapshotGradients()
    {
        var snapshot = new List<(int, float[]?)>();
        for (int slot = 0; slot < _slotCount; slot++)
        {
            if (_rows[slot].Gradient == 0) continue;
            snapshot.Add((slot, _rows[slot].Has(TensorFlags.GradientLive) ? Gradient(slot).ToArray() : null));
        }
        return snapshot;
    }

    /// <summary>Puts back what <see cref="SnapshotGradients"/> saw, so a backward run for a check leaves no trace.</summary>
    internal void RestoreGradients(List<(int Slot, float[]? Values)> snapshot)
    {
        foreach ((int slot, float[]? values) in snapshot)
        {
            _rows[slot].Set(TensorFlags.GradientLive, values is not null);
            if (values is not null) values.CopyTo(Gradient(slot));
        }
        _gradientsLiveUpTo = _tape.Count - 1; // a restored non-leaf may hold one again
    }
}
