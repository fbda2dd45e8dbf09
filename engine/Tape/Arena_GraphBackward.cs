using ArenaGrad.Capture;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

public sealed unsafe partial class Arena
{
    // The backward pass whose gradients are tensors: each instruction's rule is its row's GraphBackward, which computes
    // the input gradients with ordinary ops. With create_graph those ops are recorded, so the gradients can be
    // differentiated again; without it (torch.autograd.grad, tensor hooks) they run under no-grad.

    // Per pass: for each slot that existed when the pass began, the slot of the gradient tensor accumulated so far, or -1.
    private NativeList<int> _graphGradient;
    private bool _inGraphBackward;

    // Leaves (and retained non-leaves) whose .grad a create_graph backward set to a differentiable tensor. The gradient
    // buffer holds the same values, so .grad reads the buffer again once that tensor's scope has released it.
    private NativeList<GraphGradientEntry> _graphGradients;

    private readonly record struct GraphGradientEntry(int Slot, ulong Generation, int GradientSlot, ulong GradientGeneration);

    /// <summary>backward(): the fused pass, unless the graph must be recorded (<paramref name="createGraph"/>) or a hook
    /// must see the gradients as tensors.</summary>
    internal void Backward(ReadOnlySpan<Tensor> roots, ReadOnlySpan<Tensor> gradients, bool retainGraph, bool createGraph)
    {
        if (createGraph || HasHooks) RunGraphBackward(roots, gradients, retainGraph, createGraph, default, default, allowUnused: false);
        else RunBackward(roots, gradients, retainGraph);
    }

    /// <summary>One reverse pass from <paramref name="roots"/> whose gradients are tensors. With <paramref name="inputs"/>
    /// empty it accumulates into .grad (backward with create_graph, or with hooks); otherwise it writes the gradient of
    /// each input into <paramref name="results"/> and touches no .grad (torch.autograd.grad).</summary>
    internal void RunGraphBackward(ReadOnlySpan<Tensor> roots, ReadOnlySpan<Tensor> gradients, bool retainGraph, bool createGraph,
        ReadOnlySpan<Tensor> inputs, Span<Tensor?> results, bool allowUnused)
    {
        CheckUse();
        ThrowIfCapturing(CaptureRefusal.Backward, inputs.Length == 0 ? "Backward()" : "Autograd.Grad()");
        if (_inGraphBackward)
            throw new InvalidOperationException("A backward pass is already running on this arena (a hook or custom function started another).");
        int last = CheckRoots(roots, gradients);
        for (int k = 0; k < inputs.Length; k++)
        {
            int input = OwnSlot(inputs[k]);
            if (!RequiresGrad(input)) throw new InvalidOperationException("One of the differentiated Tensors does not require grad");
        }
        if (results.Length < inputs.Length)
            throw new ArgumentException($"Expected room for {inputs.Length} gradients, but the destination holds {results.Length}.", nameof(results));
        _seedStart = _seedEnd = 0;
        PlanBackward(roots, last); // freed graph and in-place changes, before anything is made

        int slotsAtStart = _slotCount;
        _graphRestricted = inputs.Length != 0;
        if (_graphRestricted) MarkNeeded(inputs, last);
        _graphGradient.Count = 0;
        _graphGradient.AddRange(slotsAtStart);
        _graphGradient.AsSpan().Fill(-1);
        bool gradEnabled = IsGradEnabled;
        // All or nothing: everything the pass makes (tensors, recorded ops) is undone if any step fails (the memory cap, a
        // hook or a custom backward that throws, anomaly mode), and .grad is written only after the last step that can.
        using OpTransaction op = BeginOp();
        IsGradEnabled = createGraph; // PyTorch runs backward in grad mode exactly when it builds a graph
        _inGraphBackward = true;
        int executed = 0;
        long pass = BeginBackwardMarks(last);
        try
        {
            for (int i = 0; i < roots.Length; i++)
            {
                int root = roots[i].Slot;
                Tensor seed = gradients.Length == 0 ? Ones(ShapeOf(root)) : gradients[i];
                AccumulateGraphGradient(root, seed);
            }
            for (int i = last; i >= 0; i--)
            {
                // A copy: the rule records ops, and the tape may move as it grows.
                Instruction ins = _tape[i];
                int gradient = _graphGradient[ins.Output];
                if (gradient < 0 || (_graphRestricted && !_graphNeeded.Get(ins.Output))) continue;
                gradient = RunHooks(ins.Output, gradient);
                _graphGradient[ins.Output] = gradient;
                if (_detectAnomaly) RunGraphRuleDetectingAnomaly(i, ins, gradient);
                else OpTable.Of(ins.Op).GraphBackward(this, in ins, Handle(gradient));
                _backwardRan[i] = new BackwardMark(pass, _rows[ins.Output].Generation);
                executed++;
            }
            if (inputs.Length == 0) TotalGradients(slotsAtStart);
            else
            {
                for (int k = 0; k < inputs.Length; k++)
                {
                    int slot = inputs[k].Slot, gradient = _graphGradient[slot];
                    // A non-leaf input's hooks ran before its producer's rule, in the walk above.
                    if (gradient >= 0 && (_details[slot].Producer < 0 || _details[slot].Producer > last)) gradient = RunHooks(slot, gradient);
                    if (gradient < 0 && !allowUnused)
                        throw new InvalidOperationException(
                            "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.");
                    results[k] = gradient < 0 ? null : Handle(gradient);
                }
            }
            op.Commit();
            if (inputs.Length == 0) WriteGradients(slotsAtStart, createGraph); // cannot fail
            _gradientsLiveUpTo = Math.Max(_gradientsLiveUpTo, last); // retained non-leaves may now hold one
            if (!retainGraph)
                for (int i = last; i >= 0; i--)
                    if (_graphGradient[_tape[i].Output] >= 0)
                    {
                        _tape[i].Freed = true;
                        _firstFreed = Math.Min(_firstFreed, i);
                    }
        }
        finally
        {
            _inGraphBackward = false;
            IsGradEnabled = gradEnabled;
            LastBackwardInstructionCount = executed;
        }
    }

    /// <summary>Adds <paramref name="contribution"/> (the input's shape) to the gradient tensor of <paramref name="slot"/>
    /// in the running graph pass: a graph rule's only way to hand a gradient on.</summary>
    internal void AccumulateGraphGradient(int slot, Tensor contribution)
    {
        int own = OwnSlot(contribution);
        if (!ShapeOf(own).SequenceEqual(ShapeOf(slot)))
            throw new InvalidOperationException(
                $"Internal error: a graph backward rule gave a gradient of shape {ShapeMath.TorchSize(ShapeOf(own))} for a tensor of shape {ShapeMath.TorchSize(ShapeOf(slot))}.");
        int existing = _graphGradient[slot];
        _graphGradient[slot] = existing < 0 ? own : (Handle(existing) + contribution).Slot;
    }

    /// <summary>Whether the running graph pass should compute a gradient for <paramref name="slot"/> (-1: no such input):
    /// it requires grad and, for Autograd.Grad, lies on a path from a requested input.</summary>
    internal bool NeedsGraphGradient(int slot) => slot >= 0 && RequiresGrad(slot) && (!_graphRestricted || _graphNeeded.Get(slot));

    // Autograd.Grad asks for some inputs only: gradients of everything else (the weights, when the input's gradient is
    // asked for) are neither computed nor recorded, as in PyTorch.
    private bool _graphRestricted;

    /// <summary>Marks the requested inputs and every op result that depends on one (a forward sweep over the tape).</summary>
    private void MarkNeeded(ReadOnlySpan<Tensor> inputs, int last)
    {
        _graphNeeded.ClearAll();
        foreach (Tensor input in inputs) _graphNeeded.Set(input.Slot, true);
        for (int i = 0; i <= last; i++)
        {
            ref Instruction ins = ref _tape[i];
            bool needed = IsNeeded(ins.Input0) || IsNeeded(ins.Input1) || IsNeeded(ins.Input2);
            if (!needed && OpTable.Of(ins.Op).OperandsAreInputs)
                foreach (int operand in OperandsOf(ins))
                    if (needed = IsNeeded(operand)) break;
            if (needed) _graphNeeded.Set(ins.Output, true);
        }
    }

    private bool IsNeeded(int slot) => slot >= 0 && _graphNeeded.Get(slot);

    /// <summary>Backward with create_graph (or hooks): .grad of every leaf the pass reached, and of retained non-leaves,
    /// gets the pass's gradient (added to what it held). The buffer takes the values; with create_graph
    /// .grad is the differentiable tensor while it lives.</summary>
    /// <remarks>In two steps: first every total (hooks and additions: steps that can fail), then, after the pass has
    /// committed, the writes, which cannot.</remarks>
    private void TotalGradients(int slotsAtStart)
    {
        for (int slot = 0; slot < slotsAtStart; slot++)
        {
            if (!TakesGrad(slot)) continue;
            int gradient = RunHooks(slot, _graphGradient[slot]);
            if (IsLeaf(slot) && _rows[slot].Has(TensorFlags.GradientLive))
                gradient = ((TryGraphGradient(slot, out Tensor earlier) ? earlier : Handle(_details[slot].GradientSlot)) + Handle(gradient)).Slot;
            _graphGradient[slot] = gradient;
        }
    }

    /// <summary>Writes the totals of <see cref="TotalGradients"/> into the gradient buffers (and, with
    /// <paramref name="createGraph"/>, keeps each as the differentiable .grad).</summary>
    private void WriteGradients(int slotsAtStart, bool createGraph)
    {
        if (_graphGradients.Count != 0) DropGraphGradients(-1, GraphGradientDrop.TakenThisPass); // their .grad is replaced below
        for (int slot = 0; slot < slotsAtStart; slot++)
        {
            if (!TakesGrad(slot)) continue;
            int total = _graphGradient[slot];
            Values(total).CopyTo(GradientForWrite(slot, out _));
            if (createGraph) _graphGradients.Add(new GraphGradientEntry(slot, _rows[slot].Generation, total, _rows[total].Generation));
        }
    }

    /// <summary>Whether backward's .grad of <paramref name="slot"/> takes the pass's gradient: it got one, and it is a leaf
    /// that requires grad or a non-leaf that retains its gradient.</summary>
    private bool TakesGrad(int slot) =>
        _graphGradient[slot] >= 0 && RequiresGrad(slot) && (IsLeaf(slot) || RetainsGrad(slot));

    /// <summary>The differentiable .grad a create_graph backward left on <paramref name="slot"/>, while it lives.</summary>
    internal bool TryGraphGradient(int slot, out Tensor gradient)
    {
        for (int i = _graphGradients.Count - 1; i >= 0; i--)
        {
            GraphGradientEntry entry = _graphGradients[i];
            if (entry.Slot != slot || entry.Generation != _rows[slot].Generation) continue;
            if (entry.GradientSlot < _slotCount && _rows[entry.GradientSlot].Generation == entry.GradientGeneration)
            {
                gradient = new Tensor(this, entry.GradientSlot, entry.GradientGeneration);
                return true;
            }
        }
        gradient = default;
        return false;
    }

    /// <summary>Drops the differentiable .grad of <paramref name="slot"/> (zero_grad), and entries whose tensors are gone.</summary>
    internal void ForgetGraphGradient(int slot)
    {
        if (_graphGradients.Count != 0) DropGraphGradients(slot, GraphGradientDrop.Slot);
    }

    /// <summary>After a fused backward: the leaves it may have written lose their differentiable .grad (the buffer now
    /// holds newer values).</summary>
    private void ForgetGraphGradientsReached() => DropGraphGradients(-1, GraphGradientDrop.Reached);

    private enum GraphGradientDrop : byte { Slot, Reached, TakenThisPass }

    /// <summary>Removes the entries of <paramref name="slot"/>, of the slots the last plan reached, or of the slots this
    /// graph pass gives a .grad (by <paramref name="which"/>), and every stale entry, in one pass.</summary>
    private void DropGraphGradients(int slot, GraphGradientDrop which)
    {
        int kept = 0;
        for (int i = 0; i < _graphGradients.Count; i++)
        {
            GraphGradientEntry entry = _graphGradients[i];
            bool stale = entry.Slot >= _slotCount || _rows[entry.Slot].Generation != entry.Generation
                || entry.GradientSlot >= _slotCount || _rows[entry.GradientSlot].Generation != entry.GradientGeneration;
            bool drop = which switch
            {
                GraphGradientDrop.Slot => entry.Slot == slot,
                GraphGradientDrop.Reached => _backwardReached.Get(entry.Slot),
                _ => entry.Slot < _graphGradient.Count && TakesGrad(entry.Slot),
            };
            if (stale || drop) continue;
            _graphGradients[kept++] = entry;
        }
        _graphGradients.Count = kept;
    }

    /// <summary>Anomaly mode on the graph pass: runs the rule, then refuses the first input gradient it made NaN or infinite
    /// (one that was already so is not blamed on it), with the same exception as the fused pass.</summary>
    private void RunGraphRuleDetectingAnomaly(int index, in Instruction ins, int gradient)
    {
        int[] inputs = InputSlotsOf(ins);
        var before = new int[inputs.Length];
        for (int k = 0; k < inputs.Length; k++) before[k] = inputs[k] < 0 ? -1 : _graphGradient[inputs[k]];
        OpTable.Of(ins.Op).GraphBackward(this, in ins, Handle(gradient));
        for (int k = 0; k < inputs.Length; k++)
        {
            int slot = inputs[k];
            if (slot < 0 || _graphGradient[slot] < 0 || _graphGradient[slot] == before[k]) continue;
            if (before[k] >= 0 && !AllFinite(Values(before[k]))) continue;
            ReadOnlySpan<float> values = Values(_graphGradient[slot]);
            if (AllFinite(values)) continue;
            throw new GradientAnomalyException(GradFnNameOf(index), TorchOutputIndex(ins, k, index), ContainsNaN(values), ForwardCallSiteOf(index));
        }
    }
}
