using ArenaGrad.Tape;

namespace ArenaGrad;

// Conversion between dtypes.
public readonly partial struct Tensor
{
    /// <summary><c>tensor.to(dtype)</c>: this tensor when it already has <paramref name="dtype"/>, else a converted copy
    /// that does not require grad. Float32 to Int32 truncates toward zero and saturates (NaN becomes 0); to Bool is
    /// value != 0; Bool to a number is 0 or 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined <see cref="ArenaGrad.DType"/>.</exception>
    public Tensor To(DType dtype)
    {
        Arena arena = Arena;
        int x = _slot;
        if (!DTypes.IsDefined(dtype))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Expected DType.Float32, DType.Int32 or DType.Bool.");
        if (arena.DTypeOf(x) == dtype) return this;
        int y = arena.NewSlot(arena.ShapeOf(x), dtype);
        var instruction = new Instruction(OpCode.Cast, y, x) { Int0 = (int)dtype };
        ForwardRules.Cast(arena, in instruction);
        arena.Record(in instruction, onTape: false);
        return arena.Handle(y);
    }
}
