using System;

namespace ArenaGrad.Projectile;

/// <summary>
/// A point mass under gravity and quadratic air drag, a = g − k·|v|·v, integrated with semi-implicit Euler
/// (v += a·dt, then x += v·dt) as a game's physics step would. Every operation is a tensor op, so the squared
/// distance to the target at the end is differentiable with respect to the launch velocity.
/// </summary>
/// <remarks>The constant tensors are made once, outside any scope; <see cref="Simulate"/> makes its tensors in the caller's scope.</remarks>
internal sealed class Flight
{
    private const float Gravity = 9.81f;

    private readonly Tensor _gravity;
    private readonly Tensor _start;
    private readonly Tensor _target;
    private readonly float _dt;
    private readonly float _drag;

    public Flight(Arena arena, ProjectileOptions options)
    {
        _gravity = arena.FromData([0f, -Gravity]);
        _start = arena.Zeros([2]);
        _target = arena.FromData([options.TargetX, options.TargetY]);
        _dt = options.FlightTime / options.IntegrationSteps;
        _drag = options.Drag;
        Steps = options.IntegrationSteps;
    }

    /// <summary>Integration steps over the flight.</summary>
    public int Steps { get; }

    /// <summary>
    /// Flies from the launch point with <paramref name="launchVelocity"/> ([2], m/s) and returns |x(T) − target|²;
    /// writes the position after every step into <paramref name="trace"/> (x, y pairs) when it is not empty.
    /// </summary>
    public Tensor Simulate(Tensor launchVelocity, Span<float> trace = default)
    {
        Tensor velocity = launchVelocity;
        Tensor position = _start;
        for (int step = 0; step < Steps; step++)
        {
            Tensor speed = (velocity * velocity).Sum().Sqrt();
            Tensor acceleration = _gravity - velocity * speed * _drag;
            velocity = velocity + acceleration * _dt;
            position = position + velocity * _dt;
            if (!trace.IsEmpty) position.CopyTo(trace.Slice(2 * step, 2));
        }
        return (position - _target).Square().Sum();
    }
}
