using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// torch.where (issue 16, family index). Forward and backward: OpCode.Where and WhereScalar in Tape/OpTable.cs.
public static partial class Functional
{
    /// <summary><c>torch.where</c>: y = condition ? a : b, the Bool condition and a, b (one dtype, kept) broadcast
    /// together. Backward: da = reduce(condition ? g : 0), db = reduce(condition ? 0 : g) to each input's shape.</summary>
    /// <exception cref="ArgumentException">The condition is not Bool (PyTorch's message), a and b differ in dtype, or the
    /// shapes do not broadcast.</exception>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Arena arena = a.Arena;
        int sa = a.Slot, sb = arena.OwnSlot(b), c = arena.OwnSlot(condition);
        RequireCondition(arena, c);
        arena.RequireDType(sb, arena.DTypeOf(sa));
        Span<int> ab = stackalloc int[TensorLayout.MaxRank];
        Span<int> shape = stackalloc int[TensorLayout.MaxRank];
        int rank = ShapeMath.BroadcastShape(arena.ShapeOf(c), ab[..ShapeMath.BroadcastShape(arena.ShapeOf(sa), arena.ShapeOf(sb), ab)], shape);
        bool record = arena.ShouldRecord(sa, sb);
        int y = record ? arena.NewSlot(shape[..rank], requiresGrad: true) : arena.NewSlot(shape[..rank], arena.DTypeOf(sa));
        var instruction = new Instruction(OpCode.Where, y, sa, sb, c);
        ForwardRules.Where(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>torch.where(condition, a, b)</c> with a float b: y = condition ? a : b, a Float32; condition and a
    /// broadcast together. Backward: da = reduce(condition ? g : 0).</summary>
    /// <exception cref="ArgumentException">The condition is not Bool, a is not Float32, or the shapes do not broadcast.</exception>
    public static Tensor Where(Tensor condition, Tensor a, float b)
    {
        Arena arena = a.Arena;
        int sa = a.Slot, c = arena.OwnSlot(condition);
        RequireCondition(arena, c);
        arena.RequireFloat(sa);
        Span<int> shape = stackalloc int[TensorLayout.MaxRank];
        int rank = ShapeMath.BroadcastShape(arena.ShapeOf(c), arena.ShapeOf(sa), shape);
        bool record = arena.ShouldRecord(sa);
        int y = arena.NewSlot(shape[..rank], record);
        var instruction = new Instruction(OpCode.WhereScalar, y, sa, -1, c) { Scalar0 = b };
        ForwardRules.WhereScalar(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    private static void RequireCondition(Arena arena, int condition)
    {
        if (arena.DTypeOf(condition) != DType.Bool)
            throw new ArgumentException(
                $"where expected condition to be a boolean tensor, but got a tensor with dtype {Tensor.TorchTypeName(arena.DTypeOf(condition))}",
                nameof(condition));
    }
}
