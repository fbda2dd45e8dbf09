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
    private unsafe Tensor Unary(OpCode op, float scalar0 = 0f, float scalar1 = 0f)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlotLike(x, record);
        OpTable.Of(op).UnaryKernel(scalar0, scalar1, arena.Values(x), arena.Values(y));
        arena.Record(new Instruction(op, y, x) { Scalar0 = scalar0, Scalar1 = scalar1 }, record);
        return arena.Handle(y);
    }

    /// <summary>y = f(a, b) with NumPy broadcasting (<paramref name="op"/>'s row's forward); recorded when either input
    /// requires grad.</summary>
    private static unsafe Tensor Binary(OpCode op, Tensor a, Tensor b)
    {
        Arena arena = a.Arena;
        int sa = a._slot, sb = arena.OwnSlot(b);
        arena.RequireFloat(sa);
        arena.RequireFloat(sb);
        ReadOnlySpan<int> aShape = arena.ShapeOf(sa), bShape = arena.ShapeOf(sb);
        Span<int> broadcast = stackalloc int[TensorLayout.MaxRank];
        bool sameShape = aShape.SequenceEqual(bShape);
        ReadOnlySpan<int> shape = sameShape ? aShape : broadcast[..ShapeMath.BroadcastShape(aShape, bShape, broadcast)];
        bool record = arena.ShouldRecord(sa, sb);
        // Equal shapes (the common case) are valid as they are; a broadcast shape is checked (its count can pass 2^31).
        int y = sameShape ? arena.NewSlotLike(sa, record) : arena.NewSlot(shape, record);
        var instruction = new Instruction(op, y, sa, sb);
        OpTable.Of(op).Forward(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }
}
