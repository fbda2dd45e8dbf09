using ArenaGrad.Kernels;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

public readonly partial struct Tensor
{
    /// <summary>this @ other with <c>torch.matmul</c>'s rules: 1-D, 2-D and batched with broadcast batch dims.</summary>
    public Tensor MatMul(Tensor other)
    {
        Arena arena = Arena;
        int a = _slot, b = arena.OwnSlot(other);
        arena.RequireFloat(a);
        arena.RequireFloat(b);
        Span<int> scratch = stackalloc int[4 * TensorLayout.MaxRank];
        var plan = new MatMulPlan(arena.ShapeOf(a), arena.ShapeOf(b), scratch);
        bool record = arena.ShouldRecord(a, b);
        int y = arena.NewSlot(plan.OutputShape[..plan.OutputRank], record);
        ForwardRules.MatMul(arena, a, b, y);
        arena.Record(new Instruction(OpCode.MatMul, y, a, b), record);
        return arena.Handle(y);
    }
}
