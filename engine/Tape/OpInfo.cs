namespace ArenaGrad.Tape;

/// <summary>
/// Everything the engine knows about one opcode: one row of <see cref="OpTable"/>. Forward and backward are direct
/// function pointers (no delegate, no allocation), so dispatch through the row costs one indirect call, as the
/// switch it replaced did.
/// </summary>
/// <remarks>The constructor takes every part without defaults, so a row that forgets one does not compile;
/// <c>OpTableTests</c> checks the rest (every opcode has its row, at its own index, with every pointer set).</remarks>
internal readonly unsafe struct OpInfo
{
    /// <summary>The opcode this row describes (its index in the table).</summary>
    public readonly OpCode Op;

    /// <summary>PyTorch 1.13's grad_fn name, for the ranks where it does not depend on them; null for an op with no
    /// derivative (its result is never Float32 requiring grad, so it is traced but never put on the tape).</summary>
    public readonly string? GradFnName;

    /// <summary>The grad_fn name by the ranks of the first two inputs and whether a third is present (MatMul and
    /// Linear, which PyTorch dispatches to different kernels by rank); null when <see cref="GradFnName"/> is always it.</summary>
    public readonly delegate*<int, int, bool, string> GradFnNameByRanks;

    /// <summary>Computes the instruction's output (and saved slot) from its inputs' current values: the compute shared by
    /// the eager op and captured replays. It validates nothing and makes no slots: the eager op did both.</summary>
    public readonly delegate*<Arena, in Instruction, void> Forward;

    /// <summary>For one-input elementwise ops, y = f(x) over any slice (attributes from the instruction's two scalars);
    /// null for the rest. Eager forward, replays and fused chains all run it.</summary>
    public readonly delegate*<float, float, ReadOnlySpan<float>, Span<float>, void> UnaryKernel;

    /// <summary>The derivative rule: adds g, the gradient of the output, into the gradients of the inputs that require grad.</summary>
    public readonly delegate*<Arena, in Instruction, ReadOnlySpan<float>, void> Backward;

    /// <summary>The same derivative written with ordinary ops on tensors (<see cref="GraphBackwardRules"/>): gives each input
    /// that requires grad its gradient through <c>Arena.AccumulateGraphGradient</c>. Backward with create_graph records
    /// them, so gradients can be differentiated again; <c>Autograd.Grad</c> and hooks run it under no-grad. Null for an
    /// op with no derivative.</summary>
    public readonly delegate*<Arena, in Instruction, Tensor, void> GraphBackward;

    /// <summary>Which operands' values the backward rule reads (for the version checks).</summary>
    public readonly BackwardReads Reads;

    /// <summary>The scratch the backward rule takes, reserved before the pass writes any gradient.</summary>
    public readonly BackwardScratch Scratch;

    /// <summary>Whether a captured plan may fuse the op with its neighbours.</summary>
    public readonly OpFusion Fusion;

    /// <summary>Whether the instruction's operand buffer holds input slots (Concat) rather than other integers.</summary>
    public readonly bool OperandsAreInputs;

    /// <summary>The ONNX operator (default domain) the op corresponds to, or null when ONNX has none for inference.</summary>
    public readonly string? OnnxOperator;

    /// <summary>A row; every part is stated.</summary>
    public OpInfo(OpCode op, string? gradFnName, delegate*<int, int, bool, string> gradFnNameByRanks,
        delegate*<Arena, in Instruction, void> forward, delegate*<float, float, ReadOnlySpan<float>, Span<float>, void> unaryKernel,
        delegate*<Arena, in Instruction, ReadOnlySpan<float>, void> backward, delegate*<Arena, in Instruction, Tensor, void> graphBackward,
        BackwardReads reads, BackwardScratch scratch, OpFusion fusion,
        bool operandsAreInputs, string? onnxOperator)
    {
        Op = op;
        GradFnName = gradFnName;
        GradFnNameByRanks = gradFnNameByRanks;
        Forward = forward;
        UnaryKernel = unaryKernel;
        Backward = backward;
        GraphBackward = graphBackward;
        Reads = reads;
        Scratch = scratch;
        Fusion = fusion;
        OperandsAreInputs = operandsAreInputs;
        OnnxOperator = onnxOperator;
    }
}

/// <summary>How a captured plan may fuse an op with its neighbours.</summary>
internal enum OpFusion : byte
{
    /// <summary>Runs alone.</summary>
    None,

    /// <summary>A one-input elementwise op: computes each element alone, with the same bits in any slice, so a chain of
    /// them may run slice by slice in one pass (<see cref="OpInfo.UnaryKernel"/>).</summary>
    Elementwise,

    /// <summary>May lead an elementwise chain row by row (Linear with a [out] bias).</summary>
    ChainHead,
}

/// <summary>Which operands' values a backward rule reads: always, and in addition when the first or the second input
/// needs a gradient (a product's gradient for one input reads the other). Record stamps their versions.</summary>
internal readonly struct BackwardReads(SavedOperands always, SavedOperands forInput0Grad, SavedOperands forInput1Grad)
{
    /// <summary>Read whatever needs a gradient.</summary>
    public readonly SavedOperands Always = always;

    /// <summary>Read in addition when Input0 needs a gradient.</summary>
    public readonly SavedOperands ForInput0Grad = forInput0Grad;

    /// <summary>Read in addition when Input1 needs a gradient.</summary>
    public readonly SavedOperands ForInput1Grad = forInput1Grad;

    /// <summary>The operands read when the rule runs with these inputs needing gradients.</summary>
    public SavedOperands Resolve(bool input0NeedsGrad, bool input1NeedsGrad) =>
        Always | (input0NeedsGrad ? ForInput0Grad : 0) | (input1NeedsGrad ? ForInput1Grad : 0);

    /// <summary>Reads the same operands whichever input needs a gradient.</summary>
    public static implicit operator BackwardReads(SavedOperands always) => new(always, 0, 0);
}

/// <summary>The scratch a backward rule takes through <c>Arena.Scratch</c>, in multiples of the output's element count
/// (each rounded up to 16 floats): always, and in addition when an input is broadcast; and in multiples of the first
/// input's element count (a rule that keeps a value per input element, such as prod's exclusive products).</summary>
internal readonly struct BackwardScratch(int outputs, int outputsIfBroadcast, int input0s = 0)
{
    /// <summary>No scratch.</summary>
    public static BackwardScratch None => default;

    /// <summary>Output-sized buffers taken always.</summary>
    public readonly int Outputs = outputs;

    /// <summary>Output-sized buffers taken in addition when an input's shape differs from the output's.</summary>
    public readonly int OutputsIfBroadcast = outputsIfBroadcast;

    /// <summary>Buffers of the first input's size taken always.</summary>
    public readonly int Input0s = input0s;

    /// <summary>Floats reserved for an instruction with these element counts. Backward reserves the largest over the
    /// instructions it can reach before it writes any gradient; a rule that asks for more fails loudly.</summary>
    public long Floats(int output, int input0, int input1)
    {
        if (Outputs == 0 && OutputsIfBroadcast == 0 && Input0s == 0) return 0;
        long y = (output + 15L) & ~15L;
        bool broadcast = input0 != output || input1 != output;
        return y * (Outputs + (broadcast ? OutputsIfBroadcast : 0)) + ((input0 + 15L) & ~15L) * Input0s;
    }
}

/// <summary>The tensors of an instruction whose values its backward rule can read.</summary>
[Flags]
internal enum SavedOperands : byte
{
    /// <summary>The rule reads only g and shapes.</summary>
    None = 0,
    /// <summary>Instruction.Input0.</summary>
    Input0 = 1,
    /// <summary>Instruction.Input1.</summary>
    Input1 = 2,
    /// <summary>Instruction.Input2.</summary>
    Input2 = 4,
    /// <summary>Instruction.Output (y).</summary>
    Output = 8,
    /// <summary>Instruction.Saved.</summary>
    Saved = 16,
}
