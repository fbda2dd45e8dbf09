using System.Runtime.CompilerServices;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Elementwise operations. Each forward is one line naming its opcode; the opcode's row in Tape/OpTable.cs names its
// kernel (Tape/ForwardRules.cs, shared with captured replays) and its backward (Tape/BackwardRules.cs).
public readonly partial struct Tensor
{
    /// <summary>eˣ</summary>
    public Tensor Exp() => Unary(OpCode.Exp);

    /// <summary>ln x</summary>
    public Tensor Log() => Unary(OpCode.Log);

    /// <summary>tanh x</summary>
    public Tensor Tanh() => Unary(OpCode.Tanh);

    /// <summary>1 / (1 + e⁻ˣ)</summary>
    public Tensor Sigmoid() => Unary(OpCode.Sigmoid);

    /// <summary>max(x, 0)</summary>
    public Tensor Relu() => Unary(OpCode.Relu);

    /// <summary>√x</summary>
    public Tensor Sqrt() => Unary(OpCode.Sqrt);

    /// <summary>|x|</summary>
    public Tensor Abs() => Unary(OpCode.Abs);

    /// <summary>x²</summary>
    public Tensor Square() => Unary(OpCode.Square);

    /// <summary>xᵉ (<c>torch.pow</c> with a scalar exponent)</summary>
    public Tensor Pow(float exponent) => Unary(OpCode.Pow, exponent);

    /// <summary>x &gt; 0 ? x : slope·x (<c>F.leaky_relu</c>)</summary>
    public Tensor LeakyRelu(float negativeSlope = 0.01f) => Unary(OpCode.LeakyRelu, negativeSlope);

    /// <summary>min(max(x, min), max) (<c>torch.clamp</c>)</summary>
    public Tensor Clamp(float min, float max) => Unary(OpCode.Clamp, min, max);

    /// <summary>a + b with broadcasting</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Binary(OpCode.Add, a, b);

    /// <summary>a − b with broadcasting</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Binary(OpCode.Subtract, a, b);

    /// <summary>a · b (elementwise) with broadcasting</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Binary(OpCode.Multiply, a, b);

    /// <summary>a / b with broadcasting</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Binary(OpCode.Divide, a, b);

    /// <summary>−a</summary>
    public static Tensor operator -(Tensor a) => a.Unary(OpCode.Negate);

    /// <summary>a + s</summary>
    public static Tensor operator +(Tensor a, float s) => a.Unary(OpCode.AddScalar, s);

    /// <summary>s + a</summary>
    public static Tensor operator +(float s, Tensor a) => a.Unary(OpCode.AddScalar, s);

    /// <summary>a − s</summary>
    public static Tensor operator -(Tensor a, float s) => a.Unary(OpCode.SubtractScalar, s);

    /// <summary>s − a</summary>
    public static Tensor operator -(float s, Tensor a) => a.Unary(OpCode.ReverseSubtractScalar, s);

    /// <summary>a · s</summary>
    public static Tensor operator *(Tensor a, float s) => a.Unary(OpCode.MultiplyScalar, s);

    /// <summary>s · a</summary>
    public static Tensor operator *(float s, Tensor a) => a.Unary(OpCode.MultiplyScalar, s);

    /// <summary>a / s</summary>
    public static Tensor operator /(Tensor a, float s) => a.Unary(OpCode.DivideScalar, s);

    /// <summary>s / a</summary>
    public static Tensor operator /(float s, Tensor a) => a.Unary(OpCode.ReverseDivideScalar, s);

    /// <summary>y = f(x) into a new tensor of x's shape (the kernel is <paramref name="op"/>'s row's
    /// <see cref="OpInfo.UnaryKernel"/>); recorded when x requires grad and grad mode is on.</summary>
    private Tensor Unary(OpCode op, float scalar0 = 0f, float scalar1 = 0f)
    {
        Arena arena = Arena;
        return arena.Handle(UnarySlot(arena, op, _slot, scalar0, scalar1));
    }

    /// <summary>y = f(a, b) with NumPy broadcasting (<paramref name="op"/>'s row's forward); recorded when either input
    /// requires grad.</summary>
    private static Tensor Binary(OpCode op, Tensor a, Tensor b)
    {
        Arena arena = a.Arena;
        return arena.Handle(BinarySlot(arena, op, a._slot, arena.OwnSlot(b)));
    }

    // The bodies work on validated slots, not handles, and are not inlined into the operators: a handle is a struct with
    // a reference, and every handle temporary an inlined body leaves in a frame is zeroed on each call (~0.5 KB here).

    /// <summary><see cref="Unary"/> on x's slot; returns y's.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe int UnarySlot(Arena arena, OpCode op, int x, float scalar0, float scalar1)
    {
        arena.RequireFloat(x);
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlotLike(x, record);
        OpTable.Of(op).UnaryKernel(scalar0, scalar1, arena.Values(x), arena.Values(y));
        arena.Record(new Instruction(op, y, x) { Scalar0 = scalar0, Scalar1 = scalar1 }, record);
        return y;
    }

    /// <summary><see cref="Binary"/> on the slots of a and b; returns y's.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int BinarySlot(Arena arena, OpCode op, int sa, int sb)
    {
        arena.RequireFloat(sa);
        arena.RequireFloat(sb);
        // Equal shapes (the common case) are valid as they are; a broadcast shape is made and checked apart.
        if (!arena.ShapeOf(sa).SequenceEqual(arena.ShapeOf(sb))) return BroadcastBinarySlot(arena, op, sa, sb);
        bool record = arena.ShouldRecord(sa, sb);
        return RunBinary(arena, op, sa, sb, arena.NewSlotLike(sa, record), record);
    }

    /// <summary><see cref="BinarySlot"/> for inputs of different shapes: y has their broadcast shape, checked (its
    /// count can pass 2^31).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int BroadcastBinarySlot(Arena arena, OpCode op, int sa, int sb)
    {
        Span<int> broadcast = stackalloc int[TensorLayout.MaxRank];
        ReadOnlySpan<int> shape = broadcast[..ShapeMath.BroadcastShape(arena.ShapeOf(sa), arena.ShapeOf(sb), broadcast)];
        bool record = arena.ShouldRecord(sa, sb);
        return RunBinary(arena, op, sa, sb, arena.NewSlot(shape, record), record);
    }

    /// <summary>Runs <paramref name="op"/>'s forward into y and records it when asked; returns y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int RunBinary(Arena arena, OpCode op, int sa, int sb, int y, bool record)
    {
        var instruction = new Instruction(op, y, sa, sb);
        OpTable.Of(op).Forward(arena, in instruction);
        arena.Record(in instruction, record);
        return y;
    }
}
