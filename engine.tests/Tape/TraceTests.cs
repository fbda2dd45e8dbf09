namespace ArenaGrad.Tests.Tape;

/// <summary>The trace sees every op, on the tape or not; the tape stays as it would be without it.</summary>
[TestFixture]
public sealed class TraceTests
{
    [Test]
    public void Trace_RecordsOpsOffTheTape_WithTapeIndexMinusOne()
    {
        using var arena = new Arena();
        Tensor frozen = arena.FromData([1f, 2f, 3f, 4f], [2, 2]);
        Tensor weight = arena.FromData([0.5f, -1f, 2f, 0.25f], [2, 2], requiresGrad: true);

        arena.BeginTrace();
        Tensor features = frozen.Tanh();                                 // no input requires grad: off the tape
        Tensor logits = Functional.Linear(features, weight);             // on the tape
        Tensor loss = Functional.CrossEntropy(logits, [1, 0]);           // on the tape, with class operands
        Tensor joined = Functional.Cat([frozen, features], 0);        // off the tape, with tensor operands
        arena.EndTrace();

        ReadOnlySpan<TracedOp> ops = arena.TracedOps;
        Assert.That(ops.Length, Is.EqualTo(4));
        Assert.That(ops[0].TapeIndex, Is.EqualTo(-1));
        Assert.That(ops[0].Instruction.Output, Is.EqualTo(features.Slot));
        Assert.That(ops[1].TapeIndex, Is.EqualTo(0));
        Assert.That(ops[1].Instruction.Input1, Is.EqualTo(weight.Slot));
        Assert.That(ops[2].TapeIndex, Is.EqualTo(1));
        Assert.That(ops[2].Instruction.OperandCount, Is.EqualTo(2));
        Assert.That(ops[3].TapeIndex, Is.EqualTo(-1));
        Assert.That(ops[3].Instruction.OperandCount, Is.EqualTo(2));
        Assert.That(arena.TapeLength, Is.EqualTo(2));
        Assert.That(joined.Shape.ToArray(), Is.EqualTo(new[] { 4, 2 }));

        loss.Backward();
        Assert.That(weight.Grad, Is.Not.Null);
    }

    [Test]
    public void Trace_WhenOff_RecordsNothing_AndDoesNotNest()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2]);
        arena.BeginTrace();
        Assert.Throws<InvalidOperationException>(() => arena.BeginTrace());
        _ = x.Exp();
        arena.EndTrace();
        _ = x.Exp();
        Assert.That(arena.TracedOps.Length, Is.EqualTo(1));
        arena.BeginTrace();
        Assert.That(arena.TracedOps.Length, Is.EqualTo(0));
        arena.EndTrace();
    }
}
