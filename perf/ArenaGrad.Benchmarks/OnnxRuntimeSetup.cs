using Microsoft.ML.OnnxRuntime;

namespace ArenaGrad.Benchmarks;

/// <summary>How every ONNX Runtime peer in this suite is configured, so they all compare alike.</summary>
internal static class OnnxRuntimeSetup
{
    /// <summary>One intra-op and one inter-op thread, sequential execution, every graph optimization: ONNX Runtime on
    /// one core, as ArenaGrad runs.</summary>
    public static SessionOptions SingleThreadedOptions() => new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
}
