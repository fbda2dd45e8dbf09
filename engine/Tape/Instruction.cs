using System.Runtime.InteropServices;

namespace ArenaGrad.Tape;

/// <summary>One recorded operation: fixed size, no references, so the tape is a flat native buffer.</summary>
/// <remarks>Tensor operands are slot indices into the arena's table. A tape entry never outlives the tensors
/// it names: both are released by the same scope. Variable-length operands (concat inputs, class targets)
/// live in the arena's operand buffer at [<see cref="OperandStart"/>, +<see cref="OperandCount"/>).</remarks>
[StructLayout(LayoutKind.Sequential)]
internal struct Instruction
{
    /// <summary>Which backward rule runs.</summary>
    public OpCode Op;

    /// <summary>Set once a backward without retain_graph has run this instruction.</summary>
    public bool Freed;

    /// <summary>The slot the op wrote.</summary>
    public int Output;

    /// <summary>First input slot (-1 if none).</summary>
    public int Input0;

    /// <summary>Second input slot (-1 if none).</summary>
    public int Input1;

    /// <summary>Third input slot, e.g. the bias of Linear (-1 if none).</summary>
    public int Input2;

    /// <summary>A slot the forward saved for backward (e.g. log-probabilities of cross-entropy), -1 if none.</summary>
    public int Saved;

    /// <summary>Version of Input0's storage when recorded, or -1 when the rule does not read Input0's values
    /// (see the op's <see cref="OpInfo.Reads"/>); backward refuses to run if it changed.</summary>
    public int Version0;

    /// <summary>Version of Input1's storage when recorded, -1 when not read.</summary>
    public int Version1;

    /// <summary>Version of Input2's storage when recorded, -1 when not read.</summary>
    public int Version2;

    /// <summary>Version of the output's storage when recorded (rules such as exp's read y), -1 when not read.</summary>
    public int VersionOutput;

    /// <summary>Version of the saved slot when recorded, -1 when not read.</summary>
    public int VersionSaved;

    /// <summary>Scalar attribute (scalar operand, exponent, slope, clamp min).</summary>
    public float Scalar0;

    /// <summary>Second scalar attribute (clamp max).</summary>
    public float Scalar1;

    /// <summary>Integer attribute (dim, dim0).</summary>
    public int Int0;

    /// <summary>Second integer attribute (dim1, keepdim).</summary>
    public int Int1;

    /// <summary>Third integer attribute (slice step).</summary>
    public int Int2;

    /// <summary>Start of this instruction's operands in the operand buffer.</summary>
    public int OperandStart;

    /// <summary>Number of operands in the operand buffer.</summary>
    public int OperandCount;

    /// <summary>An instruction of <paramref name="op"/> writing <paramref name="output"/> from up to three inputs.</summary>
    public Instruction(OpCode op, int output, int input0, int input1 = -1, int input2 = -1)
    {
        Op = op;
        Output = output;
        Input0 = input0;
        Input1 = input1;
        Input2 = input2;
        Saved = -1;
    }

    /// <summary>Copies every field of <paramref name="source"/> but the versions, which recording stamps, and
    /// <see cref="Freed"/>, which a new entry starts without: one field at a time (see <see cref="Arena.Record(in Instruction)"/>).</summary>
    public void CopyOperands(in Instruction source)
    {
        Op = source.Op; Freed = false;
        Output = source.Output; Input0 = source.Input0; Input1 = source.Input1; Input2 = source.Input2; Saved = source.Saved;
        Scalar0 = source.Scalar0; Scalar1 = source.Scalar1;
        Int0 = source.Int0; Int1 = source.Int1; Int2 = source.Int2;
        OperandStart = source.OperandStart; OperandCount = source.OperandCount;
    }
}
