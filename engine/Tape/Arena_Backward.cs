using System.Runtime.CompilerServices;
using ArenaGrad.Capture;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

public sealed unsafe partial class Arena
{
    internal const string FreedGraphMessage =
        "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). " +
        "Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). " +
        "Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

    /// <summary>Runs one reverse pass over the tape from <paramref name="roots"/>, seeded with
    /// <paramref name="gradients"/> (ones for scalar roots when empty). Leaf gradients accumulate.</summary>
    internal void RunBackward(ReadOnlySpan<Tensor> roots, ReadOnlySpan<Tensor> gradients, bool retainGraph)
    {
        CheckUse();
        ThrowIfCapturing(CaptureRefusal.Backward, "Backward()");
        int last = CheckRoots(roots, gradients);
        // Checks every instruction the pass can reach and sizes the scratch its rules need; reserving it is the
        // last step that can fail, so a refused backward (capacity, freed graph, in-place change) touches nothing.
        // A single seed may be read in place (below) unless the pass writes its memory: it is some tensor's gradient.
        long scratchFloats;
        LastBackwardWalkedPlan = !PlanIsKnown(roots, gradients, last);
        if (!LastBackwardWalkedPlan)
        {
            // Nothing to check, and the seed (if one) has memory of its own: the walk would only find the scratch.
            scratchFloats = last >= 0 ? _scratchUpTo[last] : 0;
            _seedIsWritten = false;
        }
        else
        {
            _seedStart = _seedEnd = 0;
            if (roots.Length == 1 && gradients.Length == 1)
            {
                int seed = OwnSlot(gradients[0]);
                _seedStart = _rows[seed].Values;
                _seedEnd = _seedStart + (nint)LengthOf(seed) * sizeof(float);
            }
            _seedIsWritten = false;
            scratchFloats = PlanBackward(roots, last);
            _seedStart = _seedEnd = 0;
            if (_planReachesCustom)
            {
                // A custom function's backward is user code on tensors: the whole pass computes gradients as tensors.
                RunGraphBackward(roots, gradients, retainGraph, createGraph: false, default, default, allowUnused: false);
                return;
            }
        }
        FloatStackMark scratchMark = _floats.Mark;
        _backwardScratch = scratchFloats > 0 ? _floats.Allocate(scratchFloats) : null;
        _backwardScratchFloats = scratchFloats;
        _backwardScratchUsed = 0;
        _inBackward = true;

        int executed = 0;
        long pass = BeginBackwardMarks(last);
        int lentRoot = -1;
        nint rootGradient = 0;
        try
        {
            // Intermediate gradients start empty each pass; leaf gradients keep accumulating. Only outputs an earlier
            // pass reached can hold one.
            for (int i = Math.Min(last, _gradientsLiveUpTo); i >= 0; i--) _rows[_tape[i].Output].Set(TensorFlags.GradientLive, false);
            _gradientsLiveUpTo = Math.Max(_gradientsLiveUpTo, last);
            for (int i = 0; i < roots.Length; i++)
            {
                int root = roots[i].Slot;
                if (gradients.Length == 0) GradientForAccumulation(root)[0] += 1f;
                else if (_rows[root].Has(TensorFlags.GradientLive)) Kernels.Elementwise.Accumulate(Values(OwnSlot(gradients[i])), GradientForAccumulation(root));
                else if (roots.Length == 1 && !IsLeaf(root) && !RetainsGrad(root) && !_seedIsWritten)
                {
                    // The seed is read where it is: nothing keeps this root's gradient after the pass, and with one root
                    // nothing in the pass adds to it (every instruction it runs was recorded before the root was made),
                    // rules only read incoming gradients, and the plan found no gradient the pass writes over the seed's
                    // memory (y.Backward(x.Grad)). Saves a copy of the seed (2^20 floats: ~0.14 ms).
                    lentRoot = root;
                    rootGradient = LendGradient(root, OwnSlot(gradients[i]));
                }
                else
                {
                    // First contribution: copy rather than zero-then-add (one pass over the seed instead of two).
                    Values(OwnSlot(gradients[i])).CopyTo(Gradient(root));
                    _rows[root].Set(TensorFlags.GradientLive, true);
                }
            }

            for (int i = last; i >= 0; i--)
            {
                ref Instruction instruction = ref _tape[i];
                if (!_rows[instruction.Output].Has(TensorFlags.GradientLive)) continue; // no gradient reached it: skip
                if (instruction.Freed) throw new InvalidOperationException(FreedGraphMessage);
                if (_detectAnomaly) ApplyBackwardRuleDetectingAnomaly(i); else ApplyBackwardRule(instruction);
                _backwardScratchUsed = 0; // each rule gets the whole reservation
                _backwardRan[i] = new BackwardMark(pass, _rows[instruction.Output].Generation);
                executed++;
                if (!retainGraph)
                {
                    instruction.Freed = true;
                    _firstFreed = Math.Min(_firstFreed, i);
                }
            }
            if (_graphGradients.Count != 0) ForgetGraphGradientsReached();
        }
        finally
        {
            if (lentRoot >= 0) ReturnGradient(lentRoot, rootGradient);
            _inBackward = false;
            _backwardScratch = null;
            _floats.Rewind(scratchMark);
            LastBackwardInstructionCount = executed;
        }
    }

    /// <summary>Refuses roots and seeds PyTorch refuses (counts, shapes, a root that does not require grad, a freed
    /// graph); returns the last tape index the pass can reach. Every check comes before the first write, so a refused
    /// backward leaves the arena as it was.</summary>
    private int CheckRoots(ReadOnlySpan<Tensor> roots, ReadOnlySpan<Tensor> gradients)
    {
        if (gradients.Length != 0 && gradients.Length != roots.Length)
            throw new ArgumentException($"got {roots.Length} tensors and {gradients.Length} gradients");
        int last = -1;
        for (int i = 0; i < roots.Length; i++)
        {
            int root = OwnSlot(roots[i]);
            if (gradients.Length == 0)
            {
                if (RequiresGrad(root) && LengthOf(root) != 1)
                    throw new InvalidOperationException("grad can be implicitly created only for scalar outputs");
            }
            else
            {
                int gradient = OwnSlot(gradients[i]);
                if (!ShapeOf(gradient).SequenceEqual(ShapeOf(root)))
                    throw new ArgumentException(
                        $"Mismatch in shape: grad_output[{i}] has a shape of {ShapeMath.TorchSize(ShapeOf(gradient))} and output[{i}] has a shape of {ShapeMath.TorchSize(ShapeOf(root))}.");
            }
        }
        for (int i = 0; i < roots.Length; i++)
        {
            int root = roots[i].Slot;
            if (!RequiresGrad(root))
                throw new InvalidOperationException($"element {i} of tensors does not require grad and does not have a grad_fn");
            int producer = _details[root].Producer;
            if (producer >= 0 && _tape[producer].Freed) throw new InvalidOperationException(FreedGraphMessage);
            last = Math.Max(last, producer);
        }
        return last;
    }

    /// <summary>Runs the derivative rule of <paramref name="ins"/> (its <see cref="OpTable"/> row's backward).</summary>
    private void ApplyBackwardRule(in Instruction ins) => OpTable.Of(ins.Op).Backward(this, in ins, IncomingGradient(ins.Output));

    // Which instructions the last pass ran (graph pictures highlight them): per tape index, the pass that last ran it
    // and its output's generation then. Generations are never reused, so an index that a scope rewound and an op
    // re-recorded reads as not run, without the tape having to clear anything. Two stores per instruction run.
    private NativeList<BackwardMark> _backwardRan;
    private long _backwardPass;

    private readonly record struct BackwardMark(long Pass, ulong OutputGeneration);

    /// <summary>Starts a pass's marks: room for tape indices 0 to <paramref name="last"/> (new entries zeroed, which
    /// no pass matches), and the pass's number.</summary>
    private long BeginBackwardMarks(int last)
    {
        if (_backwardRan.Count <= last)
        {
            int start = _backwardRan.AddRange(last + 1 - _backwardRan.Count);
            _backwardRan.AsSpan()[start..].Clear();
        }
        return ++_backwardPass;
    }

    /// <summary>Whether the last backward ran the instruction at <paramref name="tapeIndex"/> (false if none ran, or
    /// the index was re-recorded since).</summary>
    internal bool LastBackwardRan(int tapeIndex)
    {
        if ((uint)tapeIndex >= (uint)_tape.Count || tapeIndex >= _backwardRan.Count) return false;
        BackwardMark mark = _backwardRan[tapeIndex];
        return mark.Pass == _backwardPass && mark.OutputGeneration == _rows[_tape[tapeIndex].Output].Generation;
    }

    /// <summary>How many backward passes have run on this arena (a graph snapshot tells whether one ran while it traced).</summary>
    internal long BackwardPassCount => _backwardPass;

    // Backward's scratch: reserved once before the pass (see PlanBackward), handed to rules by Scratch().
    private float* _backwardScratch;
    private long _backwardScratchFloats;
    private long _backwardScratchUsed;
    private bool _inBackward;

    /// <summary>Whether <see cref="PlanBackward"/>'s walk would find nothing but the scratch: no tape entry up to
    /// <paramref name="last"/> is freed, was recorded before an in-place change, or is a custom function; anomaly mode is
    /// off; and a single seed has memory of its own (it is not a view, so it cannot be a gradient the pass writes). The
    /// scratch is then the most any rule up to <paramref name="last"/> needs, reachable or not.</summary>
    private bool PlanIsKnown(ReadOnlySpan<Tensor> roots, ReadOnlySpan<Tensor> gradients, int last) =>
        !_detectAnomaly && _firstFreed > last && _versionsStaleBelow == 0 && _firstCustom > last
        && (roots.Length != 1 || gradients.Length != 1 || !_rows[OwnSlot(gradients[0])].Has(TensorFlags.SharesMemory));

    /// <summary>Walks the instructions a pass from <paramref name="roots"/> can reach (a superset of those it will
    /// run: rules only write gradients of inputs that require grad), refusing a freed graph or a changed saved
    /// tensor, and returns the most scratch any of their rules needs.</summary>
    private long PlanBackward(ReadOnlySpan<Tensor> roots, int last)
    {
        _planReachesCustom = false;
        _backwardReached.ClearAll();
        for (int i = 0; i < roots.Length; i++) _backwardReached.Set(roots[i].Slot, true);
        long scratch = 0;
        for (int i = last; i >= 0; i--)
        {
            ref Instruction ins = ref _tape[i];
            if (!_backwardReached.Get(ins.Output)) continue;
            if (ins.Freed) throw new InvalidOperationException(FreedGraphMessage);
            CheckSavedVersions(i);
            ref readonly OpInfo row = ref OpTable.Of(ins.Op);
            _planReachesCustom |= ins.Op == OpCode.Custom;
            scratch = Math.Max(scratch, row.Scratch.Floats(LengthOf(ins.Output),
                ins.Input0 >= 0 ? LengthOf(ins.Input0) : 0, ins.Input1 >= 0 ? LengthOf(ins.Input1) : 0));
            MarkReached(ins.Input0);
            MarkReached(ins.Input1);
            MarkReached(ins.Input2);
            if (row.OperandsAreInputs)
                foreach (int input in OperandsOf(ins)) MarkReached(input);
        }
        return scratch;
    }

    /// <summary>Whether the last fused backward walked the tape to plan (tests: the common pass skips the walk).</summary>
    internal bool LastBackwardWalkedPlan { get; private set; }

    // Whether the last plan reached a custom function, whose backward exists only as a graph rule.
    private bool _planReachesCustom;

    private void MarkReached(int input)
    {
        if (input < 0 || !RequiresGrad(input)) return;
        _backwardReached.Set(input, true);
        if (_seedEnd != 0 && _rows[input].Gradient < _seedEnd && _seedStart < _rows[input].Gradient + (nint)LengthOf(input) * sizeof(float))
            _seedIsWritten = true;
    }

    // The memory of a single seed while the plan runs (0 when there is none), and whether a gradient the pass may
    // write overlaps it.
    private nint _seedStart, _seedEnd;
    private bool _seedIsWritten;

    /// <summary>A rule's share of the scratch reserved before the pass.</summary>
    private Span<float> BackwardScratch(long count)
    {
        long rounded = RoundUp(count);
        if (_backwardScratchUsed + rounded > _backwardScratchFloats)
            throw new InvalidOperationException(
                $"Internal error: a backward rule asked for {_backwardScratchUsed + rounded} floats of scratch, but its OpTable row " +
                $"declares {_backwardScratchFloats}. Every rule's scratch must be declared in its row so that backward reserves it before writing any gradient.");
        float* start = _backwardScratch + _backwardScratchUsed;
        _backwardScratchUsed += rounded;
        return new Span<float>(start, checked((int)count));
    }

    /// <summary>The slot of a handle that must belong to this arena.</summary>
    internal int OwnSlot(Tensor tensor)
    {
        if (!ReferenceEquals(tensor.Owner, this)) return ForeignSlot(tensor); // a borrowed frozen tensor, or an error
        return tensor.Slot;
    }

    private void CheckSavedVersions(int instructionIndex)
    {
        ref Instruction instruction = ref _tape[instructionIndex];
        CheckVersion(instructionIndex, instruction.Input0, instruction.Version0);
        CheckVersion(instructionIndex, instruction.Input1, instruction.Version1);
        CheckVersion(instructionIndex, instruction.Input2, instruction.Version2);
        CheckVersion(instructionIndex, instruction.Output, instruction.VersionOutput);
        CheckVersion(instructionIndex, instruction.Saved, instruction.VersionSaved);
        if (instruction.Op == OpCode.Custom) CheckCustomSavedVersions(instructionIndex, instruction);
    }

    /// <summary>Refuses a saved tensor changed in place since it was recorded. The compare is inlined (five per
    /// instruction); only a mismatch calls out to build the message.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckVersion(int instructionIndex, int input, int recordedVersion)
    {
        // -1: the rule does not read it (a recorded version is -1 whenever its slot is -1).
        if (recordedVersion >= 0 && VersionOf(input) != recordedVersion) ThrowModifiedInPlace(instructionIndex, input, recordedVersion);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowModifiedInPlace(int instructionIndex, int input, int recordedVersion)
    {
        int now = VersionOf(input);
        string what = ShapeMath.TorchTypeAndShape(ShapeOf(input));
        string producer = _details[input].Producer >= 0 ? $", which is output 0 of {GradFnNameOf(_details[input].Producer)}," : "";
        throw new InvalidOperationException(
            $"one of the variables needed for gradient computation has been modified by an inplace operation: {what}{producer} is at version {now}; " +
            $"expected version {recordedVersion} instead. (needed by {GradFnNameOf(instructionIndex)})");
    }
}
