using ArenaGrad.Kernels;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Elementwise operations. Each forward is one line naming its kernel operator; its backward is the arm of
// the same opcode in Tape/Arena_BackwardRules.cs.
public readonly partial struct Tensor
{
    /// <summary>eˣ</summary>
    public Tensor Exp() => Unary(OpCode.Exp, new ExpOperator());

    /// <summary>ln x</summary>
    public Tensor Log() => Unary(OpCode.Log, new LogOperator());

    /// <summary>tanh x</summary>
    public Tensor Tanh() => Unary(OpCode.Tanh, new TanhOperator());

    /// <summary>1 / (1 + e⁻ˣ)</summary>
    public Tensor Sigmoid() => Unary(OpCode.Sigmoid, new SigmoidOperator());

    /// <summary>max(x, 0)</summary>
    public Tensor Relu() => Unary(OpCode.Relu, new ReluOperator());

    /// <summary>√x</summary>
    public Tensor Sqrt() => Unary(OpCode.Sqrt, new SqrtOperator());

    /// <summary>|x|</summary>
    public Tensor Abs() => Unary(OpCode.Abs, new AbsOperator());

    /// <summary>x²</summary>
    public Tensor Square() => Unary(OpCode.Square, new SquareOperator());

    /// <summary>xᵉ (<c>torch.pow</c> with a scalar exponent)</summary>
    public Tensor Pow(float exponent) => Unary(OpCode.Pow, new PowOperator(exponent), exponent);

    /// <summary>x &gt; 0 ? x : slope·x (<c>F.leaky_relu</c>)</summary>
    public Tensor LeakyRelu(float negativeSlope = 0.01f) =>
        Unary(OpCode.LeakyRelu, new LeakyReluOperator(negativeSlope), negativeSlope);

    /// <summary>min(max(x, min), max) (<c>torch.clamp</c>)</summary>
    public Tensor Clamp(float min, float max) => Unary(OpCode.Clamp, new ClampOperator(min, max), min, max);

    /// <summary>a + b with broadcasting</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Binary(OpCode.Add, new AddOperator(), a, b);

    /// <summary>a − b with broadcasting</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Binary(OpCode.Subtract, new SubtractOperator(), a, b);

    /// <summary>a · b (elementwise) with broadcasting</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Binary(OpCode.Multiply, new MultiplyOperator(), a, b);

    /// <summary>a / b with broadcasting</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Binary(OpCode.Divide, new DivideOperator(), a, b);

    /// <summary>−a</summary>
    public static Tensor operator -(Tensor a) => a.Unary(OpCode.Negate, new NegateOperator());

    /// <summary>a + s</summary>
    public static Tensor operator +(Tensor a, float s) => a.Unary(OpCode.AddScalar, new AddScalarOperator(s), s);

    /// <summary>s + a</summary>
    public static Tensor operator +(float s, Tensor a) => a.Unary(OpCode.AddScalar, new AddScalarOperator(s), s);

    /// <summary>a − s</summary>
    public static Tensor operator -(Tensor a, float s) => a.Unary(OpCode.SubtractScalar, new AddScalarOperator(-s), s);

    /// <summary>s − a</summary>
    public static Tensor operator -(float s, Tensor a) =>
        a.Unary(OpCode.ReverseSubtractScalar, new ReverseSubtractScalarOperator(s), s);

    /// <summary>a · s</summary>
    public static Tensor operator *(Tensor a, float s) => a.Unary(OpCode.MultiplyScalar, new MultiplyScalarOperator(s), s);

    /// <summary>s · a</summary>
    public static Tensor operator *(float s, Tensor a) => a.Unary(OpCode.MultiplyScalar, new MultiplyScalarOperator(s), s);

    /// <summary>a / s</summary>
    public static Tensor operator /(Tensor a, float s) => a.Unary(OpCode.DivideScalar, new DivideScalarOperator(s), s);

    /// <summary>s / a</summary>
    public static Tensor operator /(float s, Tensor a) =>
        a.Unary(OpCode.ReverseDivideScalar, new ReverseDivideScalarOperator(s), s);

    /// <summary>y = f(x) into a new tensor of x's shape; recorded when x requires grad and grad mode is on.</summary>
    private Tensor Unary<TOp>(OpCode op, TOp kernel, float scalar0 = 0f, float scalar1 = 0f) where TOp : struct, IUnaryOperator
    {
        Arena arena = Arena;
        int x = _slot;
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlotLike(x, record);
        Elementwise.Unary(kernel, arena.Values(x), arena.Values(y));
        arena.Record(new Instruction(op, y, x) { Scalar0 = scalar0, Scalar1 = scalar1 }, record);
        return arena.Handle(y);
    }

    /// <summary>y = f(a, b) with NumPy broadcasting; recorded when either input requires grad.</summary>
    private static Tensor Binary<TOp>(OpCode op, TOp kernel, Tensor a, Tensor b) where TOp : struct, IBinaryOperator
    {
        Arena arena = a.Arena;
        int sa = a._slot, sb = arena.OwnSlot(b);
        ReadOnlySpan<int> aShape = arena.ShapeOf(sa), bShape = arena.ShapeOf(sb);
        Span<int> broadcast = stackalloc int[TensorLayout.MaxRank];
        bool sameShape = aShape.SequenceEqual(bShape);
        ReadOnlySpan<int> shape = sameShape ? aShape : broadcast[..ShapeMath.BroadcastShape(aShape, bShape, broadcast)];
        bool record = arena.ShouldRecord(sa, sb);
        // Equal shapes (the common case) are valid as they are; a broadcast shape is checked (its count can pass 2^31).
        int y = sameShape ? arena.NewSlotLike(sa, record) : arena.NewSlot(shape, record);
        Span<float> result = arena.Values(y);
        ReadOnlySpan<float> av = arena.Values(sa), bv = arena.Values(sb);
        if (av.Length == result.Length && bv.Length == result.Length) Elementwise.Binary(kernel, av, bv, result);
        else if (bv.Length == 1 && av.Length == result.Length) Elementwise.BinaryScalarRight(kernel, av, bv[0], result);
        else if (av.Length == 1 && bv.Length == result.Length) Elementwise.BinaryScalarLeft(kernel, av[0], bv, result);
        else
        {
            Span<int> aStrides = stackalloc int[shape.Length];
            Span<int> bStrides = stackalloc int[shape.Length];
            ShapeMath.BroadcastStrides(arena.ShapeOf(sa), shape, aStrides);
            ShapeMath.BroadcastStrides(arena.ShapeOf(sb), shape, bStrides);
            Elementwise.BinaryBroadcast(kernel, av, aStrides, bv, bStrides, result, shape);
        }
        arena.Record(new Instruction(op, y, sa, sb), record);
        return arena.Handle(y);
    }
}
