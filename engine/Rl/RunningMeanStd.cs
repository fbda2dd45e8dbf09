namespace ArenaGrad.Rl;

/// <summary>
/// Running mean and variance of a stream of vectors, merged batch by batch with the parallel Welford formula (Chan et
/// al.), as gym's normalization wrappers and SB3's <c>VecNormalize</c> keep them (<c>RunningMeanStd</c>, count starting
/// at ε = 1e-4, mean 0, variance 1).
/// </summary>
/// <remarks>The statistics are kept in double, as numpy keeps them; <see cref="Mean"/> and <see cref="Var"/> show them as
/// float32 arena tensors, refreshed by each <see cref="Update"/>. A batch's own mean and variance are computed in double
/// from its float32 values (numpy would accumulate a float32 batch in float32). <see cref="Update"/> allocates nothing.</remarks>
public sealed class RunningMeanStd
{
    /// <summary>The ε added to the variance under the square root when normalizing (gym's and SB3's 1e-8).</summary>
    public const double NormalizeEpsilon = 1e-8;

    private readonly double[] _mean, _var;

    /// <summary>Statistics of vectors of <paramref name="size"/> floats, with <see cref="Mean"/> and <see cref="Var"/> made
    /// in <paramref name="arena"/> (outside any scope, as a module's parameters).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    public RunningMeanStd(Arena arena, int size)
    {
        ArgumentNullException.ThrowIfNull(arena);
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, $"Expected size > 0, but got {size}.");
        arena.ThrowIfScopeOpen("RunningMeanStd makes its mean and variance tensors when it is constructed", "Construct it");
        Arena = arena;
        Size = size;
        _mean = new double[size];
        _var = new double[size];
        Array.Fill(_var, 1.0);
        using OpTransaction op = arena.BeginOp();
        Mean = arena.Zeros([size]);
        Var = arena.Ones([size]);
        op.Commit();
    }

    /// <summary>The arena holding <see cref="Mean"/> and <see cref="Var"/>.</summary>
    public Arena Arena { get; }

    /// <summary>Floats per vector.</summary>
    public int Size { get; }

    /// <summary>Vectors seen, plus the initial 1e-4 (<c>count</c>).</summary>
    public double Count { get; private set; } = 1e-4;

    /// <summary>The running mean, [size], as float32.</summary>
    public Tensor Mean { get; }

    /// <summary>The running (population) variance, [size], as float32.</summary>
    public Tensor Var { get; }

    /// <summary>Merges a batch of B vectors, [B, size] (or [B] when size is 1):
    /// δ = mean_b − mean, n = count + B, mean += δ·B / n, var = (var·count + var_b·B + δ²·count·B / n) / n, count = n,
    /// where mean_b and var_b are the batch's mean and population variance. Allocates nothing.</summary>
    /// <exception cref="ArgumentException">The batch is not Float32, or its shape is not [B, size] (or [B] for size 1) with
    /// B ≥ 1. Nothing changes then.</exception>
    public void Update(Tensor batch)
    {
        int rows = BatchRows(batch, nameof(Update));
        if (rows == 0)
            throw new ArgumentException($"Update expects at least one vector, but the batch has shape {ShapeMath.Format(batch.Shape)}.", nameof(batch));
        Arena.ThrowIfCapturing(Capture.CaptureRefusal.InPlace, "RunningMeanStd.Update");
        ReadOnlySpan<float> x = batch.Arena.Values(batch.Slot);
        Span<float> mean32 = Arena.Values(Mean.Slot), var32 = Arena.Values(Var.Slot);
        int size = Size;
        double count = Count, total = count + rows;
        for (int j = 0; j < size; j++)
        {
            // numpy's np.mean and np.var (two passes: mean, then the mean of squared deviations).
            double sum = 0;
            for (int r = 0; r < rows; r++) sum += x[r * size + j];
            double batchMean = sum / rows;
            double squares = 0;
            for (int r = 0; r < rows; r++)
            {
                double d = x[r * size + j] - batchMean;
                squares += d * d;
            }
            double batchVar = squares / rows;
            // gym's update_mean_var_count_from_moments, term for term.
            double delta = batchMean - _mean[j];
            double newMean = _mean[j] + delta * rows / total;
            double m2 = _var[j] * count + batchVar * rows + delta * delta * count * rows / total;
            _mean[j] = newMean;
            _var[j] = m2 / total;
            mean32[j] = (float)newMean;
            var32[j] = (float)_var[j];
        }
        Count = total;
        Arena.BumpVersion(Mean.Slot);
        Arena.BumpVersion(Var.Slot);
    }

    /// <summary>clip((x − mean) / √(var + 1e-8), −clip, clip), as SB3's <c>VecNormalize</c> (and gym's
    /// <c>NormalizeObservation</c> followed by CleanRL's clip), computed in double and rounded to float32 once. x is
    /// [..., size] (or any shape when size is 1); the result is a new tensor of x's shape in x's arena that does not
    /// require grad (the normalization is a preprocessing step, as in those wrappers).</summary>
    /// <exception cref="ArgumentException">x is not Float32, its last dim is not size, or clip is negative or NaN.</exception>
    public Tensor Normalize(Tensor x, float clip = 10)
    {
        if (!(clip >= 0))
            throw new ArgumentException($"Expected clip >= 0, but got {ShapeMath.FormatScalar(clip)}.", nameof(clip));
        Arena arena = x.Arena;
        if (x.DType != DType.Float32)
            throw new ArgumentException($"Normalize expects a Float32 tensor, but got {x.DType}.", nameof(x));
        int size = Size;
        if (size != 1 && (x.Rank == 0 || x.Shape[^1] != size))
            throw new ArgumentException(
                $"Normalize expects a tensor whose last dim is the statistics' size {size}, but got shape {ShapeMath.Format(x.Shape)}.", nameof(x));
        Tensor result = arena.Zeros(x.Shape);
        ReadOnlySpan<float> input = arena.Values(x.Slot);
        Span<float> output = arena.Values(result.Slot);
        double limit = clip;
        for (int i = 0; i < input.Length; i++)
        {
            int j = size == 1 ? 0 : i % size;
            double z = (input[i] - _mean[j]) / Math.Sqrt(_var[j] + NormalizeEpsilon);
            output[i] = (float)Math.Clamp(z, -limit, limit);
        }
        return result;
    }

    private int BatchRows(Tensor batch, string method)
    {
        if (batch.DType != DType.Float32)
            throw new ArgumentException($"{method} expects a Float32 batch, but got {batch.DType}.", nameof(batch));
        ReadOnlySpan<int> shape = batch.Shape;
        if (shape.Length == 2 && shape[1] == Size) return shape[0];
        if (shape.Length == 1 && Size == 1) return shape[0];
        throw new ArgumentException(
            $"{method} expects a batch of shape [B, {Size}]{(Size == 1 ? " or [B]" : "")}, but got {ShapeMath.Format(shape)}.", nameof(batch));
    }
}
