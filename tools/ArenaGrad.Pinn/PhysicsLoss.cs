using System;
using ArenaGrad.Nn;

namespace ArenaGrad.Pinn;

/// <summary>
/// The physics-informed loss of a network u(t) for m·u'' + c·u' + k·u = 0: the mean squared ODE residual at the
/// collocation points plus the squared misses of the initial conditions. u' and u'' come from
/// <see cref="Autograd.Grad(ReadOnlySpan{Tensor}, ReadOnlySpan{Tensor}, ReadOnlySpan{Tensor}, Span{Tensor?}, bool?, bool, bool)"/>
/// with createGraph, so the loss can be back-propagated to the weights through both derivatives.
/// </summary>
/// <remarks>
/// Every term is in units of u, so none dominates by its units: the residual is divided by k
/// (u''/ω₀² + 2ζ·u'/ω₀ + u), the velocity miss by ω₀. The network sees t mapped to [−1, 1]; the map is a tensor op, so
/// the derivatives are with respect to t itself. The constant tensors are made once, outside any scope;
/// <see cref="Compute"/> makes its tensors in the caller's scope and allocates no managed memory.
/// </remarks>
internal sealed class PhysicsLoss
{
    private readonly Module _model;
    private readonly Tensor _times;     // [N, 1], requires grad: the collocation points, t = 0 first
    private readonly Tensor _ones;      // [N, 1]: the vector of the vector-Jacobian products (u_i depends on t_i alone)
    private readonly Tensor _atStart;   // [N, 1], one-hot at t = 0: picks u(0) and u'(0) with ops every graph rule has
    private readonly Tensor?[] _derivative = new Tensor?[1];
    private readonly float _inputScale, _massOverStiffness, _dampingOverStiffness, _u0, _v0, _inverseFrequency;

    /// <summary>The loss of <paramref name="model"/> (1 input, 1 output) for the oscillator and interval of <paramref name="options"/>.</summary>
    public PhysicsLoss(Arena arena, Module model, PinnOptions options)
    {
        _model = model;
        int n = options.Points;
        float[] times = new float[n];
        for (int i = 0; i < n; i++) times[i] = (float)((double)options.Duration * i / (n - 1));
        float[] atStart = new float[n];
        atStart[0] = 1f;
        _times = arena.FromData(times, [n, 1], requiresGrad: true);
        _ones = arena.Ones([n, 1]);
        _atStart = arena.FromData(atStart, [n, 1]);
        _inputScale = 2f / options.Duration;
        _massOverStiffness = options.Mass / options.Stiffness;
        _dampingOverStiffness = options.Damping / options.Stiffness;
        _u0 = options.InitialPosition;
        _v0 = options.InitialVelocity;
        _inverseFrequency = (float)Math.Sqrt(options.Mass / options.Stiffness);
        Times = times;
    }

    /// <summary>The collocation points.</summary>
    public float[] Times { get; }

    /// <summary>The network's u at <paramref name="t"/> (any [n, 1] tensor of times).</summary>
    public Tensor Predict(Tensor t) => _model.Forward(t * _inputScale - 1f);

    /// <summary>The loss at the collocation points, differentiable with respect to the weights; also its two parts.</summary>
    public Tensor Compute(out Tensor residualLoss, out Tensor initialLoss)
    {
        Tensor u = Predict(_times);
        Tensor du = Derivative(u);
        Tensor ddu = Derivative(du);
        Tensor residual = ddu * _massOverStiffness + du * _dampingOverStiffness + u;   // (m·u'' + c·u' + k·u) / k
        residualLoss = residual.Square().Mean();
        Tensor positionMiss = (u * _atStart).Sum() - _u0;
        Tensor velocityMiss = ((du * _atStart).Sum() - _v0) * _inverseFrequency;
        initialLoss = positionMiss.Square() + velocityMiss.Square();
        return residualLoss + initialLoss;
    }

    /// <summary>u(0) and u'(0) of the network now (no graph kept).</summary>
    public (float Position, float Velocity) InitialState()
    {
        Tensor u = Predict(_times);
        Tensor du = Derivative(u, createGraph: false);
        using (_times.Arena.NoGrad())
            return ((u * _atStart).Sum().Item(), (du * _atStart).Sum().Item());
    }

    /// <summary>d<paramref name="f"/>/dt at every collocation point: the vector-Jacobian product with ones, since
    /// f_i depends on t_i alone. With createGraph it is itself differentiable (in t and in the weights).</summary>
    private Tensor Derivative(Tensor f, bool createGraph = true)
    {
        Autograd.Grad(new ReadOnlySpan<Tensor>(in f), new ReadOnlySpan<Tensor>(in _times), new ReadOnlySpan<Tensor>(in _ones),
            _derivative, retainGraph: true, createGraph: createGraph);
        Tensor result = _derivative[0]!.Value;
        _derivative[0] = null;
        return result;
    }
}
