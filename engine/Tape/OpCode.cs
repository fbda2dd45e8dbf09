namespace ArenaGrad.Tape;

/// <summary>What a tape instruction did in forward, and so which backward rule it runs.</summary>
internal enum OpCode : byte
{
    // elementwise binary with broadcasting
    Add, Subtract, Multiply, Divide,
    // elementwise with a scalar
    AddScalar, SubtractScalar, ReverseSubtractScalar, MultiplyScalar, DivideScalar, ReverseDivideScalar,
    // elementwise unary
    Negate, Exp, Log, Tanh, Sigmoid, Relu, Sqrt, Abs, Square, Pow, LeakyRelu, Clamp,
    // linear algebra
    MatMul, Linear,
    // shape
    Reshape, Transpose, Concat,
    // reductions
    SumAll, SumDim, MeanAll, MeanDim, MaxAll, MaxDim, Softmax, LogSoftmax,
    // losses
    MseLoss, CrossEntropy,
    // fused losses (Int0 holds the Reduction). PyTorch 1.13 composes l1_loss from abs and mean/sum, and label-smoothed
    // cross_entropy from nll_loss plus a smoothing term, so their grad_fn names depend on those settings: one opcode each.
    L1LossMean, L1LossSum, L1LossNone, SmoothL1Loss, HuberLoss, BinaryCrossEntropyWithLogits, NllLoss, CrossEntropySmoothed,
}

/// <summary>PyTorch's grad_fn names, so that printed tensors read as PyTorch's do.</summary>
internal static class OpCodeNames
{
    /// <summary>The name PyTorch 1.13 gives the backward node of an instruction. MatMul and Linear depend on
    /// the operand ranks, because PyTorch dispatches them to different kernels (mm, mv, dot, bmm, addmm).</summary>
    public static string GradFnName(OpCode op, int rank0, int rank1, bool hasInput2) => op switch
    {
        OpCode.MatMul => (rank0, rank1) switch
        {
            (1, 1) => "DotBackward0",
            (2, 1) => "MvBackward0",
            (1, 2) => "SqueezeBackward3",
            (2, 2) => "MmBackward0",
            (2, _) => "CloneBackward0", // torch expands the matrix over the batch and clones it
            _ => "UnsafeViewBackward0",
        },
        OpCode.Linear => rank0 switch
        {
            1 => hasInput2 ? "AddBackward0" : "SqueezeBackward3",
            2 => hasInput2 ? "AddmmBackward0" : "MmBackward0",
            _ => hasInput2 ? "ViewBackward0" : "UnsafeViewBackward0",
        },
        _ => GradFnName(op),
    };

    /// <summary>The name PyTorch 1.13 gives the backward node of <paramref name="op"/> (rank-independent ops).</summary>
    public static string GradFnName(OpCode op) => op switch
    {
        OpCode.Add or OpCode.AddScalar => "AddBackward0",
        OpCode.Subtract => "SubBackward0",
        OpCode.SubtractScalar => "SubBackward0",
        OpCode.ReverseSubtractScalar => "RsubBackward1",
        OpCode.Multiply => "MulBackward0",
        OpCode.MultiplyScalar => "MulBackward0",
        OpCode.Divide => "DivBackward0",
        OpCode.DivideScalar => "DivBackward0",
        OpCode.ReverseDivideScalar => "MulBackward0", // torch computes s / x as reciprocal(x) * s
        OpCode.Negate => "NegBackward0",
        OpCode.Exp => "ExpBackward0",
        OpCode.Log => "LogBackward0",
        OpCode.Tanh => "TanhBackward0",
        OpCode.Sigmoid => "SigmoidBackward0",
        OpCode.Relu => "ReluBackward0",
        OpCode.Sqrt => "SqrtBackward0",
        OpCode.Abs => "AbsBackward0",
        OpCode.Square or OpCode.Pow => "PowBackward0",
        OpCode.LeakyRelu => "LeakyReluBackward0",
        OpCode.Clamp => "ClampBackward1",
        OpCode.MatMul => "MmBackward0",
        OpCode.Linear => "AddmmBackward0",
        OpCode.Reshape => "ReshapeAliasBackward0",
        OpCode.Transpose => "TransposeBackward0",
        OpCode.Concat => "CatBackward0",
        OpCode.SumAll => "SumBackward0",
        OpCode.SumDim => "SumBackward1",
        OpCode.MeanAll => "MeanBackward0",
        OpCode.MeanDim => "MeanBackward1",
        OpCode.MaxAll => "MaxBackward1",
        OpCode.MaxDim => "AmaxBackward0",
        OpCode.Softmax => "SoftmaxBackward0",
        OpCode.LogSoftmax => "LogSoftmaxBackward0",
        OpCode.MseLoss => "MseLossBackward0",
        OpCode.CrossEntropy => "NllLossBackward0",
        OpCode.L1LossMean => "MeanBackward0",
        OpCode.L1LossSum => "SumBackward0",
        OpCode.L1LossNone => "AbsBackward0",
        OpCode.SmoothL1Loss => "SmoothL1LossBackward0",
        OpCode.HuberLoss => "HuberLossBackward0",
        OpCode.BinaryCrossEntropyWithLogits => "BinaryCrossEntropyWithLogitsBackward0",
        OpCode.NllLoss => "NllLossBackward0",
        OpCode.CrossEntropySmoothed => "AddBackward0",
        _ => op.ToString() + "Backward0",
    };
}
