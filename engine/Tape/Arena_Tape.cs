using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

public sealed unsafe partial class Arena
{
    private NativeList<Instruction> _tape;
    private NativeList<int> _operands;

    /// <summary>Number of instructions on the tape (what backward can walk).</summary>
    public int TapeLength => _tape.Count;

    /// <summary>How many instructions the last backward executed (the rest were skipped: no gradient reached them).</summary>
    public int LastBackwardInstructionCount { get; private set; }

    /// <summary>The tape as a flat span of instructions, oldest first.</summary>
    internal ReadOnlySpan<Instruction> Instructions => _tape.AsSpan();

    /// <summary>Whether an op on <paramref name="input"/> should be recorded: grad mode on and the input requires grad.</summary>
    internal bool ShouldRecord(int input) => IsGradEnabled && _rows[input].Has(TensorFlags.RequiresGrad);

    /// <summary>Whether an op on these inputs should be recorded (output requires grad = OR of the inputs' bits).</summary>
    internal bool ShouldRecord(int input0, int input1) => IsGradEnabled && (_rows[input0].Has(TensorFlags.RequiresGrad) || _rows[input1].Has(TensorFlags.RequiresGrad));

    /// <summary>Appends <paramref name="instruction"/> and marks its output as a non-leaf made by it; returns its
    /// index on the tape. The versions are stamped on the tape entry itself (instructions are too big to copy twice).</summary>
    internal int Record(in Instruction instruction)
    {
        int index = _tape.AddRange(1);
        ref Instruction entry = ref _tape[index];
        // Field by field, reading the caller's copy: it was just built on the stack with narrow stores, and one wide
        // copy of it would wait for those stores to retire (a failed store-to-load forward, ~40 % of recording's time).
        entry.CopyOperands(in instruction);
        ref readonly OpInfo row = ref OpTable.Of(instruction.Op);
        int input0 = instruction.Input0, input1 = instruction.Input1, output = instruction.Output;
        // Versions of exactly what the rule will read, so backward can refuse values changed in place since.
        SavedOperands reads = row.Reads.Resolve(
            input0 >= 0 && _rows[input0].Has(TensorFlags.RequiresGrad), input1 >= 0 && _rows[input1].Has(TensorFlags.RequiresGrad));
        entry.Version0 = VersionIfRead(reads, SavedOperands.Input0, input0);
        entry.Version1 = VersionIfRead(reads, SavedOperands.Input1, input1);
        entry.Version2 = VersionIfRead(reads, SavedOperands.Input2, instruction.Input2);
        entry.VersionOutput = VersionIfRead(reads, SavedOperands.Output, output);
        entry.VersionSaved = VersionIfRead(reads, SavedOperands.Saved, instruction.Saved);
        if (_detectAnomaly) RecordCallSite(index);
        _details[output].Producer = index;
        _rows[output].Set(TensorFlags.IsLeaf, false);

        // What backward would otherwise learn by walking the tape before its pass (see PlanIsKnown).
        long scratch = row.Scratch.Floats(_rows[output].Length,
            input0 >= 0 ? _rows[input0].Length : 0, input1 >= 0 ? _rows[input1].Length : 0);
        if (index > 0) scratch = Math.Max(scratch, _scratchUpTo[index - 1]);
        _scratchUpTo.Add(scratch); // one entry per tape entry: rewinds cut both to the same count
        if (instruction.Op == OpCode.Custom) _firstCustom = Math.Min(_firstCustom, index);
        return index;
    }

    // What backward would otherwise learn by walking the tape before its pass (see Arena.PlanIsKnown), kept as the tape
    // grows: per tape index, the most scratch any rule up to it needs; the first custom function; and watermarks that a
    // scope's rewind lowers (RewindPlanFacts).
    private NativeList<long> _scratchUpTo;
    private int _firstCustom = int.MaxValue;  // lowest tape index holding a custom function
    private int _firstFreed = int.MaxValue;   // lowest tape index a backward without retain_graph freed
    private int _versionsStaleBelow;          // tape entries below this index were recorded before the last in-place change
    private int _gradientsLiveUpTo = -1;      // highest tape index whose output a backward pass may have left a gradient in

    /// <summary>Lowers the plan's watermarks to a tape rewound to <paramref name="tapeCount"/> entries.</summary>
    private void RewindPlanFacts(int tapeCount)
    {
        _scratchUpTo.Count = tapeCount;
        if (_firstCustom >= tapeCount) _firstCustom = int.MaxValue;
        if (_firstFreed >= tapeCount) _firstFreed = int.MaxValue;
        _versionsStaleBelow = Math.Min(_versionsStaleBelow, tapeCount);
        _gradientsLiveUpTo = Math.Min(_gradientsLiveUpTo, tapeCount - 1);
    }

    private int VersionIfRead(SavedOperands reads, SavedOperands operand, int slot) =>
        (reads & operand) != 0 && slot >= 0 ? VersionOf(slot) : -1;

    /// <summary>Copies variable-length operands into the operand buffer; returns where they start.</summary>
    internal int AddOperands(ReadOnlySpan<int> operands)
    {
        int start = _operands.AddRange(operands.Length);
        operands.CopyTo(_operands.AsSpan()[start..]);
        return start;
    }

    /// <summary>PyTorch's grad_fn name of the instruction at <paramref name="index"/>.</summary>
    internal string GradFnNameOf(int index)
    {
        ref Instruction instruction = ref _tape[index];
        if (instruction.Op == OpCode.Custom) return CustomGradFnName(instruction);
        return OpGradFnNames.Of(instruction.Op,
            instruction.Input0 >= 0 ? RankOf(instruction.Input0) : 0,
            instruction.Input1 >= 0 ? RankOf(instruction.Input1) : 0,
            instruction.Input2 >= 0);
    }

    /// <summary>Records the slots of <paramref name="tensors"/> (already validated) as operands; returns where they start.</summary>
    internal int AddOperands(ReadOnlySpan<Tensor> tensors)
    {
        int start = _operands.AddRange(tensors.Length);
        for (int i = 0; i < tensors.Length; i++) _operands[start + i] = tensors[i].Slot;
        return start;
    }

    internal ReadOnlySpan<int> OperandsOf(in Instruction instruction) =>
        _operands.AsSpan().Slice(instruction.OperandStart, instruction.OperandCount);
}
