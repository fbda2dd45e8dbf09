using System;
using System.Linq;
using ArenaGrad.Tape;
using NUnit.Framework;

namespace ArenaGrad.Tests.Tape;

/// <summary>The op table: every opcode has its row, at its own index, with every part the engine reads from it.
/// Adding an opcode without its row, or with a part missing, fails here.</summary>
public unsafe class OpTableTests
{
    private static OpCode[] Opcodes() => Enum.GetValues<OpCode>();

    private static string[] OpcodeNames() => Enum.GetNames<OpCode>();

    private static string[] ElementwiseOpcodeNames() =>
        Opcodes().Where(op => OpTable.Of(op).Fusion == OpFusion.Elementwise).Select(op => op.ToString()).ToArray();

    [Test]
    public void EveryOpcode_HasExactlyOneRow()
    {
        Assert.That(OpTable.Count, Is.EqualTo(Enum.GetValues<OpCode>().Length), "rows for opcodes that do not exist, or opcodes without a row");
        foreach (OpCode op in Opcodes())
        {
            Assert.That(OpTable.Has(op), Is.True, $"{op} has no row");
            Assert.That(OpTable.Of(op).Op, Is.EqualTo(op), $"the row at {op}'s index describes another op");
        }
    }

    [TestCaseSource(nameof(OpcodeNames))]
    public void Row_HasEveryPart(string name)
    {
        OpCode op = Enum.Parse<OpCode>(name);
        ref readonly OpInfo row = ref OpTable.Of(op);
        if (row.GradFnName is null)
            Assert.That((nint)row.Backward, Is.EqualTo((nint)(delegate*<Arena, in Instruction, ReadOnlySpan<float>, void>)&BackwardRules.NotDifferentiable),
                "a row without a grad_fn name is an op without a derivative, and only such a row has no name");
        else if (op == OpCode.Custom) Assert.That(row.GradFnName, Is.EqualTo("CustomFunctionBackward"), "a custom function is named by its type");
        else Assert.That(row.GradFnName, Does.Match("^[A-Z][A-Za-z0-9]*Backward[0-9]$"), "grad_fn name, as PyTorch prints it");
        Assert.That(row.GraphBackward != null, Is.EqualTo(row.GradFnName is not null),
            "an op with a derivative has it written with ops too (createGraph), and only such an op");
        Assert.That(row.Forward != null, Is.True, "forward");
        Assert.That(row.Backward != null, Is.True, "backward rule");
        Assert.That(row.UnaryKernel != null, Is.EqualTo(row.Fusion == OpFusion.Elementwise),
            "an op a plan chains elementwise has a kernel over slices, and only such an op has one");
        if (row.OnnxOperator is not null) Assert.That(row.OnnxOperator, Does.Match("^[A-Z][A-Za-z0-9]*$"), "an ONNX operator name");
        SavedOperands declared = row.Reads.Always | row.Reads.ForInput0Grad | row.Reads.ForInput1Grad;
        Assert.That(declared & ~(SavedOperands.Input0 | SavedOperands.Input1 | SavedOperands.Input2 | SavedOperands.Output | SavedOperands.Saved),
            Is.EqualTo(SavedOperands.None), "reads name operands of the instruction only");
    }

    [TestCaseSource(nameof(OpcodeNames))]
    public void RankDependentNames_AgreeWithTheNameColumnAtRankTwo(string name)
    {
        OpCode op = Enum.Parse<OpCode>(name);
        ref readonly OpInfo row = ref OpTable.Of(op);
        if (row.GradFnNameByRanks == null) Assert.That(OpGradFnNames.Of(op, 3, 1, false), Is.EqualTo(row.GradFnName ?? op.ToString()));
        else Assert.That(row.GradFnNameByRanks(2, 2, op == OpCode.Linear), Is.EqualTo(row.GradFnName),
            "the name column is the rank-2 name (MatMul: mm, Linear with bias: addmm)");
    }

    /// <summary>A plan chains elementwise ops slice by slice: each row's kernel must give the same bits on any slice.</summary>
    [TestCaseSource(nameof(ElementwiseOpcodeNames))]
    public void ElementwiseKernels_GiveTheSameBitsSliceBySlice(string name)
    {
        OpCode op = Enum.Parse<OpCode>(name);
        ref readonly OpInfo row = ref OpTable.Of(op);
        var random = new Random(7);
        float[] x = new float[1500];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 6 - 3);
        x[0] = 0f; x[1] = -0f; x[2] = float.NaN; x[3] = float.PositiveInfinity; x[4] = float.NegativeInfinity;
        float[] whole = new float[x.Length], sliced = new float[x.Length];
        row.UnaryKernel(1.5f, 2.5f, x, whole); // scalars: e.g. clamp(1.5, 2.5), pow 1.5
        for (int start = 0; start < x.Length; start += 37)
        {
            int count = Math.Min(37, x.Length - start);
            row.UnaryKernel(1.5f, 2.5f, x.AsSpan(start, count), sliced.AsSpan(start, count));
        }
        for (int i = 0; i < x.Length; i++)
            Assert.That(BitConverter.SingleToInt32Bits(sliced[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(whole[i])).Or.Matches<int>(
                bits => float.IsNaN(BitConverter.Int32BitsToSingle(bits)) && float.IsNaN(whole[i])), $"{op}({x[i]:R}) at {i}");
    }

    [Test]
    public void OnlyConcatStackAndCustom_KeepTheirInputsInTheOperandBuffer() =>
        Assert.That(Opcodes().Where(op => OpTable.Of(op).OperandsAreInputs), Is.EqualTo(new[] { OpCode.Concat, OpCode.Stack, OpCode.Custom }));
}
