namespace ArenaGrad.Tape;

// Graph backward rules of the first elementwise families (see GraphBackwardRules.cs). Each formula is PyTorch's
// (derivatives.yaml), so second derivatives follow its choices at kinks.
internal static partial class GraphBackwardRules
{
    // elementwise binary with broadcasting
    // da = g, db = g
    public static void Add(Arena arena, in Instruction ins, Tensor g)
    {
        GiveReduced(arena, ins.Input0, g);
        GiveReduced(arena, ins.Input1, g);
    }
    // da = g, db = -g
    public static void Subtract(Arena arena, in Instruction ins, Tensor g)
    {
        GiveReduced(arena, ins.Input0, g);
        if (Needs(arena, ins.Input1)) GiveReduced(arena, ins.Input1, -g);
    }
    // da = g*b, db = g*a
    public static void Multiply(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) GiveReduced(arena, ins.Input0, g * T(arena, ins.Input1));
        if (Needs(arena, ins.Input1)) GiveReduced(arena, ins.Input1, g * T(arena, ins.Input0));
    }
    // da = g/b, db = -(g*y)/b. PyTorch writes db = -g*((a/b)/b); y = a/b is the same function of a and b (so the same
    // second derivatives), and the row's Reads declare b and y for db, not a: a changed in place after the division
    // must not change db (the version checks watch only what Reads names)
    public static void Divide(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor b = T(arena, ins.Input1);
        if (Needs(arena, ins.Input0)) GiveReduced(arena, ins.Input0, g / b);
        if (Needs(arena, ins.Input1)) GiveReduced(arena, ins.Input1, -(g * T(arena, ins.Output) / b));
    }

    // elementwise with a scalar s
    // dx = g
    public static void AddScalar(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g);
    // dx = g
    public static void SubtractScalar(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g);
    // dx = -g
    public static void ReverseSubtractScalar(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, -g);
    // dx = s*g
    public static void MultiplyScalar(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g * ins.Scalar0);
    // dx = g/s
    public static void DivideScalar(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g / ins.Scalar0);
    // dx = -g*y/x
    public static void ReverseDivideScalar(Arena arena, in Instruction ins, Tensor g) =>
        GiveReduced(arena, ins.Input0, -(g * T(arena, ins.Output)) / T(arena, ins.Input0));

    // elementwise unary
    // dx = -g
    public static void Negate(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, -g);
    // dx = g*y
    public static void Exp(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g * T(arena, ins.Output));
    // dx = g/x
    public static void Log(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g / T(arena, ins.Input0));
    // dx = g*(1-y²)
    public static void Tanh(Arena arena, in Instruction ins, Tensor g) =>
        GiveReduced(arena, ins.Input0, g * (1f - T(arena, ins.Output).Square()));
    // dx = g*y*(1-y), in the fused kernel's order
    public static void Sigmoid(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor y = T(arena, ins.Output);
        GiveReduced(arena, ins.Input0, g * y * (1f - y));
    }
    // dx = y<=0 ? 0 : g. PyTorch's threshold_backward(grad, result) takes y with a zero derivative, so the masked-out
    // zeros are y*0 (y is exactly 0 there): the result depends on y, and whatever y depends on gets zeros, not None, when
    // it is differentiated again
    public static void Relu(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor y = T(arena, ins.Output);
        GiveReduced(arena, ins.Input0, Functional.Where(y.Le(0f), y * 0f, g));
    }
    // dx = g/(2y)
    public static void Sqrt(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g / (2f * T(arena, ins.Output)));
    // dx = g*sign(x)
    public static void Abs(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g * T(arena, ins.Input0).Sign());
    // dx = g*(2x)
    public static void Square(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g * (2f * T(arena, ins.Input0)));
    // dx = e == 0 ? 0 : g*(e*x^(e-1))
    public static void Pow(Arena arena, in Instruction ins, Tensor g)
    {
        float e = ins.Scalar0;
        Tensor x = T(arena, ins.Input0);
        GiveReduced(arena, ins.Input0, e == 0f ? arena.Zeros(x.Shape) : g * (e * x.Pow(e - 1f)));
    }
    // dx = x>0 ? g : s*g
    public static void LeakyRelu(Arena arena, in Instruction ins, Tensor g) =>
        GiveReduced(arena, ins.Input0, Functional.Where(T(arena, ins.Input0).Gt(0f), g, g * ins.Scalar0));
    // dx = min<=x<=max ? g : 0
    public static void Clamp(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor x = T(arena, ins.Input0);
        GiveReduced(arena, ins.Input0, Functional.Where(x.Ge(ins.Scalar0).LogicalAnd(x.Le(ins.Scalar1)), g, 0f));
    }
}
