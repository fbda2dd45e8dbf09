using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Batch normalization (issue 18, family normalization). Forward and backward: OpCode.BatchNorm in Tape/OpTable.cs
// (Tape/*_BatchNorm.cs, kernels in Kernels/Normalization). LayerNorm lives in Functional_LayerNorm.cs.
public static partial class Functional
{
    /// <summary><c>F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)</c>: for x
    /// [N, C, ...], y = (x − mean)/√(var + eps)·weight + bias per channel C. With <paramref name="training"/> the batch's
    /// mean and biased variance (over N and the dims after C) normalize, and the running buffers, when given, are updated
    /// in place under no-grad: running = (1 − momentum)·running + momentum·batch, with the unbiased variance for
    /// <paramref name="runningVar"/>. Without, the running statistics normalize (both required).
    /// grad_fn <c>NativeBatchNormBackward0</c>; the gradient reaches x, weight and bias (never the running buffers).</summary>
    /// <exception cref="ArgumentException">The input has fewer than 2 dims; a buffer, weight or bias does not hold C
    /// elements (<c>running_mean should contain 4 elements not 3</c>); training on a single value per channel (<c>Expected
    /// more than 1 value per channel when training, got input size torch.Size([1, 3])</c>); evaluation without running
    /// statistics (<c>running_mean must be defined in evaluation mode</c>); a tensor that is not Float32.</exception>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, float momentum = 0.1f, float eps = 1e-5f) =>
        BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps, numBatchesTracked: null);

    /// <summary><see cref="BatchNorm(Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, float, float)"/> that also adds 1
    /// to <paramref name="numBatchesTracked"/> (an Int32 scalar) in the same op, so a captured replay counts too.</summary>
    internal static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum, float eps, Tensor? numBatchesTracked)
    {
        Arena arena = input.Arena;
        int x = input.Slot;
        arena.RequireFloat(x);
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        if (shape.Length < 2)
            throw new ArgumentException(
                $"batch_norm expects an input of shape [N, C, ...] with at least 2 dims, got {shape.Length}D input (shape {ShapeMath.Format(shape)})",
                nameof(input));
        int c = shape[1];
        int mean = FeatureSlot(arena, runningMean, c, "running_mean", nameof(runningMean));
        int variance = FeatureSlot(arena, runningVar, c, "running_var", nameof(runningVar));
        int w = FeatureSlot(arena, weight, c, "weight", nameof(weight));
        int b = FeatureSlot(arena, bias, c, "bias", nameof(bias));
        if (!training && (mean < 0 || variance < 0))
            throw new ArgumentException($"{(mean < 0 ? "running_mean" : "running_var")} must be defined in evaluation mode",
                mean < 0 ? nameof(runningMean) : nameof(runningVar));
        if ((mean < 0) != (variance < 0))
            throw new ArgumentException("running_mean and running_var must be given together (both or neither)",
                mean < 0 ? nameof(runningMean) : nameof(runningVar));
        if (training)
        {
            long perChannel = shape[0];
            for (int d = 2; d < shape.Length; d++) perChannel *= shape[d];
            if (perChannel == 1)
                throw new ArgumentException($"Expected more than 1 value per channel when training, got input size {ShapeMath.TorchSize(shape)}",
                    nameof(input));
        }
        int counter = -1;
        if (numBatchesTracked is Tensor tracked)
        {
            counter = arena.OwnSlot(tracked);
            arena.RequireDType(counter, DType.Int32);
        }
        bool record = arena.IsGradEnabled && (arena.RequiresGrad(x) || (w >= 0 && arena.RequiresGrad(w)) || (b >= 0 && arena.RequiresGrad(b)));
        Span<int> savedShape = [2, c];
        using OpTransaction op = arena.BeginOp(); // the result and saved statistics (one request), then the operands and tape entry
        int saved = -1;
        int y = record ? arena.NewSlotWithSaved(shape, savedShape, out saved) : arena.NewSlot(shape, requiresGrad: false);
        Span<int> buffers = [mean, variance, training && mean >= 0 ? counter : -1];
        var instruction = new Instruction(OpCode.BatchNorm, y, x, w, b)
        {
            Saved = saved, Int0 = training ? 1 : 0, Scalar0 = eps, Scalar1 = momentum,
            OperandStart = arena.AddOperands(buffers), OperandCount = 3,
        };
        ForwardRules.BatchNorm(arena, in instruction);
        arena.Record(in instruction, record);
        return op.Commit(y);
    }

    /// <summary>The slot of an optional per-channel tensor (-1 when null), checked to be Float32 with C elements.</summary>
    private static int FeatureSlot(Arena arena, Tensor? tensor, int c, string name, string parameter)
    {
        if (tensor is not Tensor t) return -1;
        int slot = arena.OwnSlot(t);
        arena.RequireFloat(slot);
        if (arena.LengthOf(slot) != c) throw new ArgumentException($"{name} should contain {c} elements not {arena.LengthOf(slot)}", parameter);
        return slot;
    }
}
