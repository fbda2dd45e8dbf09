using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// Batch normalization (issue 18). The running buffers are operands, not inputs: the forward updates them in training
// (and bumps their versions, as PyTorch's in-place update does), so a captured replay updates them as eager mode does.
internal static unsafe partial class ForwardRules
{
    /// <summary>y = (x − mean)·invstd·w + b per channel; in training the batch's statistics, and the running buffers and
    /// counter (when given) move; otherwise the running statistics.</summary>
    public static void BatchNorm(Arena arena, in Instruction ins)
    {
        BatchNormGeometry(arena.ShapeOf(ins.Input0), out int n, out int c, out int s);
        ReadOnlySpan<int> buffers = arena.OperandsOf(in ins);
        int runningMean = buffers[0], runningVar = buffers[1], counter = buffers[2];
        bool batchStatistics = ins.Int0 != 0;
        BatchNormKernels.Forward(arena.Values(ins.Input0), n, c, s,
            ins.Input1 >= 0 ? arena.Values(ins.Input1) : default, ins.Input2 >= 0 ? arena.Values(ins.Input2) : default,
            batchStatistics, ins.Scalar0, ins.Scalar1,
            runningMean >= 0 ? arena.Values(runningMean) : default, runningVar >= 0 ? arena.Values(runningVar) : default,
            ins.Saved >= 0 ? arena.Values(ins.Saved) : default, arena.Values(ins.Output));
        if (batchStatistics && runningMean >= 0)
        {
            arena.BumpVersion(runningMean);
            arena.BumpVersion(runningVar);
        }
        if (counter >= 0)
        {
            ref int batches = ref arena.IntValues(counter)[0];
            if (batches < int.MaxValue) batches++; // Int32 holds PyTorch's int64 counter: it stops at 2^31 - 1
            arena.BumpVersion(counter);
        }
    }

    /// <summary>x [N, C, ...] as [n, c, s], s the product of the dims after C.</summary>
    internal static void BatchNormGeometry(ReadOnlySpan<int> shape, out int n, out int c, out int s)
    {
        n = shape[0];
        c = shape[1];
        s = 1;
        for (int d = 2; d < shape.Length; d++) s *= shape[d];
    }
}
