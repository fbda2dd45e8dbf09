using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

/// <summary>Backward of y = s / x: dx += −g·y/x</summary>
internal readonly struct ReverseDivideGradOperator : IUnaryGradOperator
{
    /// <summary>−g·y/x</summary>
    public float Invoke(float g, float x, float y) => -g * y / x;

    /// <summary>−g·y/x</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => -g * y / x;

    /// <summary>−g·y/x</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => -g * y / x;

    /// <summary>−g·y/x</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => -g * y / x;
}
