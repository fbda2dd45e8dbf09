using System.Collections.Generic;
using System.Collections.ObjectModel;
using ArenaGrad.Capture;
using ArenaGrad.Nn;

namespace ArenaGrad.Optim;

/// <summary>
/// Updates parameters from their gradients (<c>torch.optim.Optimizer</c>, one parameter group).
/// </summary>
/// <remarks>
/// <para>Parameters and the optimizer's state (momentum buffers, moment estimates) live in one arena; the state is made
/// when the optimizer is constructed, so construct it outside any arena scope. <see cref="Step"/> allocates no managed
/// memory and records nothing on the tape.</para>
/// <para>The learning rate is kept as a double, as in PyTorch's <c>param_groups[0]["lr"]</c>, so that schedules and
/// the coefficients derived from it round exactly as PyTorch's do; <see cref="LearningRate"/> shows it as a float.</para>
/// </remarks>
public abstract class Optimizer
{
    private readonly Tensor[] _parameters;
    private double _learningRate;

    /// <summary>Takes the parameters to update (copied into a list) and the learning rate.</summary>
    /// <exception cref="ArgumentException">No parameters, a non-leaf tensor, a tensor listed twice, or tensors from
    /// different arenas.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative or NaN learning rate (PyTorch's message).</exception>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    protected Optimizer(IEnumerable<Tensor> parameters, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckLearningRate(learningRate);
        _parameters = [.. parameters];
        if (_parameters.Length == 0) throw new ArgumentException("optimizer got an empty parameter list", nameof(parameters));
        Arena arena = _parameters[0].Arena;
        var seen = new HashSet<Tensor>();
        foreach (Tensor parameter in _parameters)
        {
            if (!ReferenceEquals(parameter.Arena, arena))
                throw new ArgumentException("All parameters of one optimizer must live in one arena (its state is made there).", nameof(parameters));
            if (!parameter.IsLeaf) throw new ArgumentException("can't optimize a non-leaf Tensor", nameof(parameters));
            if (!seen.Add(parameter))
                throw new ArgumentException(
                    "optimizer contains a parameter group with duplicate parameters (PyTorch warns; here it is an error, since the " +
                    "parameter would be updated twice per step).", nameof(parameters));
        }
        arena.ThrowIfScopeOpen($"{GetType().Name} makes its state tensors when it is constructed", "Construct the optimizer");
        Arena = arena;
        _learningRate = PythonFloat.ToDouble(learningRate);
        Parameters = new ReadOnlyCollection<Tensor>(_parameters);
    }

    /// <summary>The arena holding the parameters and the optimizer's state.</summary>
    public Arena Arena { get; }

    /// <summary>The parameters this optimizer updates, in the order given.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The parameters as a span, for subclasses' update loops (no enumerator, no allocation).</summary>
    protected ReadOnlySpan<Tensor> ParameterSpan => _parameters;

    /// <summary>The learning rate used by the next <see cref="Step"/> (<c>param_groups[0]["lr"]</c>); schedules set it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative or NaN value.</exception>
    public float LearningRate
    {
        get => (float)_learningRate;
        set
        {
            CheckLearningRate(value);
            _learningRate = PythonFloat.ToDouble(value);
        }
    }

    /// <summary>The learning rate in double precision, as PyTorch keeps it; updates derive their coefficients from it.</summary>
    protected internal double LearningRateDouble
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Invalid learning rate: {PythonFloat.Repr((float)value)}");
            _learningRate = value;
        }
    }

    /// <summary>Updates every parameter whose gradient is not null, once (<c>step()</c>). Allocates nothing.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
        Justification = "PyTorch's name (optimizer.step()), pinned by the API; only a Visual Basic keyword.")]
    public abstract void Step();

    /// <summary>Sets every parameter's gradient to null (<c>zero_grad(set_to_none=True)</c>, PyTorch 2's default).</summary>
    public void ZeroGrad()
    {
        Arena.ThrowIfCapturing(CaptureRefusal.InPlace, "optimizer.ZeroGrad()");
        foreach (Tensor parameter in _parameters) parameter.ZeroGrad();
    }

    /// <summary>Refuses an update inside a captured step: replays repeat only the recorded ops, so the update would run
    /// once at capture and never again (<see cref="Arena.CaptureTraining"/> runs the optimizer itself).</summary>
    private protected void ThrowIfCapturing() => Arena.ThrowIfCapturing(CaptureRefusal.InPlace, "optimizer.Step()");

    private static void CheckLearningRate(float learningRate)
    {
        if (!(learningRate >= 0f))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, $"Invalid learning rate: {PythonFloat.Repr(learningRate)}");
    }

    /// <summary>Throws PyTorch's <c>ValueError</c> wording as <see cref="ArgumentOutOfRangeException"/> unless <paramref name="valid"/>.</summary>
    private protected static void Require(bool valid, string parameterName, float value, string what)
    {
        if (!valid) throw new ArgumentOutOfRangeException(parameterName, value, $"Invalid {what}: {PythonFloat.Repr(value)}");
    }

    /// <summary>A zero tensor shaped like <paramref name="parameter"/>, made outside any scope (optimizer state).</summary>
    private protected Tensor ZerosLike(Tensor parameter) => Arena.Zeros(parameter.Shape);
}
