using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// One struct per op implements one of these contracts; every Invoke is a one-liner of the same formula
// at a different width. The loop drivers in Elementwise.cs are written once per *shape* of op and pick
// Vector512 -> Vector256 -> Vector128 -> scalar at run time. Structs (not delegates) so the JIT
// specialises each driver per operator and inlines the body.

/// <summary>y = f(x), elementwise.</summary>
internal interface IUnaryOperator
{
    float Invoke(float x);
    Vector128<float> Invoke(Vector128<float> x);
    Vector256<float> Invoke(Vector256<float> x);
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>y = f(a, b), elementwise.</summary>
internal interface IBinaryOperator
{
    float Invoke(float a, float b);
    Vector128<float> Invoke(Vector128<float> a, Vector128<float> b);
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
    Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
}

/// <summary>The backward of a unary op: the contribution to dx from the upstream gradient g,
/// the forward input x and the forward output y.</summary>
internal interface IUnaryGradOperator
{
    /// <summary>Whether the rule reads x. Rules written in y alone (tanh, sigmoid, exp, relu, sqrt) say false, and the
    /// backward loop then does not load x: a third less memory traffic (the load stays in the loop otherwise, unused).</summary>
    static virtual bool ReadsInput => true;

    float Invoke(float g, float x, float y);
    Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y);
    Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y);
    Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y);
}
