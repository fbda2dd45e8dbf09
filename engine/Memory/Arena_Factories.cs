using ArenaGrad.Capture;
using ArenaGrad.Memory;

namespace ArenaGrad;

// Factories: every new tensor is a leaf and, as in PyTorch, does not require grad unless asked.
public sealed partial class Arena
{
    private Xoshiro256 _random;

    /// <summary>A tensor of zeros (<c>torch.zeros</c>).</summary>
    public Tensor Zeros(ReadOnlySpan<int> shape, bool requiresGrad = false) => Full(shape, 0f, requiresGrad);

    /// <summary>A tensor of ones (<c>torch.ones</c>).</summary>
    public Tensor Ones(ReadOnlySpan<int> shape, bool requiresGrad = false) => Full(shape, 1f, requiresGrad);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>).</summary>
    public Tensor Full(ReadOnlySpan<int> shape, float value, bool requiresGrad = false)
    {
        int slot = NewLeafSlot(shape, requiresGrad);
        Values(slot).Fill(value);
        return Handle(slot);
    }

    /// <summary>A tensor of zeros of <paramref name="dtype"/> (<c>torch.zeros(shape, dtype=...)</c>); Bool zeros are False.</summary>
    public Tensor Zeros(ReadOnlySpan<int> shape, DType dtype) => Full(shape, 0, dtype);

    /// <summary>A tensor of ones of <paramref name="dtype"/> (<c>torch.ones(shape, dtype=...)</c>); Bool ones are True.</summary>
    public Tensor Ones(ReadOnlySpan<int> shape, DType dtype) => Full(shape, 1, dtype);

    /// <summary><c>torch.full(shape, value, dtype=...)</c> for a whole number: Float32 holds it as a float, Bool as
    /// value != 0.</summary>
    public Tensor Full(ReadOnlySpan<int> shape, int value, DType dtype)
    {
        ThrowIfUndefined(dtype);
        if (dtype == DType.Float32) return Full(shape, (float)value);
        CheckUse();
        ShapeMath.CheckedNumel(shape);
        int slot = NewSlot(shape, dtype);
        IntValues(slot).Fill(dtype == DType.Bool ? (value != 0 ? 1 : 0) : value);
        return Handle(slot);
    }

    private static void ThrowIfUndefined(DType dtype)
    {
        if (!DTypes.IsDefined(dtype))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Expected DType.Float32, DType.Int32 or DType.Bool.");
    }

    /// <summary>An Int32 tensor holding a copy of <paramref name="values"/> (row-major) in <paramref name="shape"/>
    /// (<c>torch.tensor(values, dtype=torch.int32)</c>). Int32 tensors never require grad.</summary>
    public Tensor FromData(ReadOnlySpan<int> values, ReadOnlySpan<int> shape)
    {
        int slot = NewIntegerSlot(values.Length, shape, DType.Int32);
        values.CopyTo(IntValues(slot));
        return Handle(slot);
    }

    /// <summary>A Bool tensor holding a copy of <paramref name="values"/> (row-major) in <paramref name="shape"/>
    /// (<c>torch.tensor(values)</c> of Python bools). Bool tensors never require grad.</summary>
    public Tensor FromData(ReadOnlySpan<bool> values, ReadOnlySpan<int> shape)
    {
        int slot = NewIntegerSlot(values.Length, shape, DType.Bool);
        Span<int> stored = IntValues(slot);
        for (int i = 0; i < values.Length; i++) stored[i] = values[i] ? 1 : 0;
        return Handle(slot);
    }

    /// <summary>A 1-D Int32 tensor holding a copy of <paramref name="values"/>.</summary>
    public Tensor FromData(ReadOnlySpan<int> values)
    {
        int length = values.Length;
        return FromData(values, new ReadOnlySpan<int>(in length));
    }

    /// <summary>A 1-D Bool tensor holding a copy of <paramref name="values"/>.</summary>
    public Tensor FromData(ReadOnlySpan<bool> values)
    {
        int length = values.Length;
        return FromData(values, new ReadOnlySpan<int>(in length));
    }

    private int NewIntegerSlot(int count, ReadOnlySpan<int> shape, DType dtype)
    {
        CheckUse();
        long numel = ShapeMath.CheckedNumel(shape);
        if (numel != count)
            throw new ArgumentException($"shape '{ShapeMath.Format(shape)}' is invalid for input of size {count}", nameof(shape));
        return NewSlot(shape, dtype);
    }

    /// <summary>A scalar (shape []) holding <paramref name="value"/>.</summary>
    public Tensor Scalar(float value, bool requiresGrad = false) => Full([], value, requiresGrad);

    /// <summary>A tensor holding a copy of <paramref name="values"/> (row-major) in <paramref name="shape"/>.</summary>
    public Tensor FromData(ReadOnlySpan<float> values, ReadOnlySpan<int> shape, bool requiresGrad = false)
    {
        long numel = ShapeMath.CheckedNumel(shape);
        if (numel != values.Length)
            throw new ArgumentException($"shape '{ShapeMath.Format(shape)}' is invalid for input of size {values.Length}", nameof(shape));
        int slot = NewLeafSlot(shape, requiresGrad);
        values.CopyTo(Values(slot));
        return Handle(slot);
    }

    /// <summary>A 1-D tensor holding a copy of <paramref name="values"/>.</summary>
    public Tensor FromData(ReadOnlySpan<float> values, bool requiresGrad = false)
    {
        int length = values.Length;
        return FromData(values, new ReadOnlySpan<int>(in length), requiresGrad);
    }

    /// <summary><c>torch.range</c>: start, start+step, ... up to and including <paramref name="end"/>.</summary>
    public Tensor Range(float start, float end, float step = 1f)
    {
        long count = StepCount(start, end, step, inclusive: true);
        return Sequence(start, step, count);
    }

    /// <summary><c>torch.arange(end)</c>: 0, 1, ... below <paramref name="end"/>.</summary>
    public Tensor Arange(float end) => Arange(0f, end, 1f);

    /// <summary><c>torch.arange(end)</c> with a whole-number end: the Int32 tensor 0, 1, ... below <paramref name="end"/>
    /// (PyTorch's is int64; indices here are Int32).</summary>
    public Tensor Arange(int end) => Arange(0, end, 1);

    /// <summary><c>torch.arange(start, end, step)</c> with whole numbers: an Int32 tensor.</summary>
    public Tensor Arange(int start, int end, int step = 1)
    {
        long count = StepCount(start, end, step, inclusive: false);
        CheckUse();
        int length = (int)count;
        int slot = NewSlot(new ReadOnlySpan<int>(in length), DType.Int32);
        Span<int> values = IntValues(slot);
        for (int i = 0; i < values.Length; i++) values[i] = (int)(start + (long)i * step);
        return Handle(slot);
    }

    /// <summary><c>torch.arange</c>: start, start+step, ... below <paramref name="end"/>.</summary>
    public Tensor Arange(float start, float end, float step = 1f)
    {
        long count = StepCount(start, end, step, inclusive: false);
        return Sequence(start, step, count);
    }

    private static long StepCount(float start, float end, float step, bool inclusive)
    {
        if (step == 0f || float.IsNaN(step)) throw new ArgumentException("step must be nonzero", nameof(step));
        if (!float.IsFinite(start) || !float.IsFinite(end))
            throw new ArgumentException($"unsupported range: {ShapeMath.FormatScalar(start)} -> {ShapeMath.FormatScalar(end)}");
        if ((step > 0 && end < start) || (step < 0 && end > start))
            throw new ArgumentException("upper bound and larger bound inconsistent with step sign", nameof(step));
        double span = ((double)end - start) / step;
        long count = inclusive ? (long)Math.Floor(span) + 1 : (long)Math.Ceiling(span);
        if (count > int.MaxValue) throw new ArgumentException($"Expected fewer than 2^31 elements, but the range has {count}.");
        return count;
    }

    private Tensor Sequence(float start, float step, long count)
    {
        int length = (int)count;
        int slot = NewSlot(new ReadOnlySpan<int>(in length), requiresGrad: false);
        Span<float> values = Values(slot);
        for (int i = 0; i < values.Length; i++) values[i] = (float)(start + (double)i * step);
        return Handle(slot);
    }

    /// <summary>Reseeds the arena's generator (<c>torch.manual_seed</c>).</summary>
    public void ManualSeed(ulong seed)
    {
        CheckUse();
        _random = new Xoshiro256(seed);
    }

    /// <summary>Uniform samples in [0, 1) from the arena's seeded generator (<c>torch.rand</c>).</summary>
    public Tensor Rand(ReadOnlySpan<int> shape, bool requiresGrad = false) => Uniform(shape, 0f, 1f, requiresGrad);

    /// <summary>Uniform samples in [<paramref name="low"/>, <paramref name="high"/>) (<c>torch.empty(...).uniform_(low, high)</c>).</summary>
    public Tensor Uniform(ReadOnlySpan<int> shape, float low, float high, bool requiresGrad = false)
    {
        ThrowIfCapturing(CaptureRefusal.Random, "A random factory (Rand, Uniform)");
        if (!float.IsFinite(low)) throw new ArgumentException("from is out of bounds for float", nameof(low));
        if (!float.IsFinite(high)) throw new ArgumentException("to is out of bounds for float", nameof(high));
        if (low > high)
            throw new ArgumentException(
                $"uniform_ expects to return a [from, to) range, but found from={ShapeMath.FormatScalar(low)} > to={ShapeMath.FormatScalar(high)}", nameof(low));
        int slot = NewLeafSlot(shape, requiresGrad);
        Span<float> values = Values(slot);
        for (int i = 0; i < values.Length; i++) values[i] = low + (high - low) * _random.NextFloat();
        return Handle(slot);
    }

    /// <summary>Standard normal samples (<c>torch.randn</c>), times <paramref name="std"/> plus <paramref name="mean"/>.</summary>
    public Tensor Randn(ReadOnlySpan<int> shape, bool requiresGrad = false, float mean = 0f, float std = 1f)
    {
        ThrowIfCapturing(CaptureRefusal.Random, "Randn");
        if (!(std >= 0f))
            throw new ArgumentException($"normal expects std >= 0.0, but found std {ShapeMath.FormatScalar(std)}", nameof(std));
        int slot = NewLeafSlot(shape, requiresGrad);
        Span<float> values = Values(slot);
        for (int i = 0; i < values.Length; i++) values[i] = mean + std * _random.NextGaussian();
        return Handle(slot);
    }
}
