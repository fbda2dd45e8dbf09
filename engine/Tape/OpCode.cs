namespace ArenaGrad.Tape;

/// <summary>What a tape instruction did in forward, and so which backward rule it runs. Each has one row in
/// <see cref="OpTable"/>, in this order.</summary>
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
    // fused losses (Int0 holds the Reduction; see OpTable for why L1 and smoothed cross-entropy take one opcode each)
    L1LossMean, L1LossSum, L1LossNone, SmoothL1Loss, HuberLoss, BinaryCrossEntropyWithLogits, NllLoss, CrossEntropySmoothed,
    // dtypes (issue 16): no gradient flows through a conversion to Int32 or Bool, and nothing else converts
    Cast,
    // views and shape ops (issue 16): Slice is narrow and slice (SliceBackward0); Split and SplitWithSizes are one piece
    // of torch.split/chunk each (a narrow named as PyTorch names the pieces); Unsqueeze and the squeezes share values
    Slice, Select, Permute, Unsqueeze, SqueezeAll, SqueezeDim, Expand, Repeat, Stack, Split, SplitWithSizes,
    // reductions (issue 16): Int0 is the axis, or -1 for every element (ArgMax, ArgMin, Var, Std, Norm); the value-and-index
    // pairs write their indices into Saved; Var and Std keep the correction in Int1, Norm its p in Scalar0
    MinAll, MinDim, MaxDimWithIndices, MinDimWithIndices, ArgMax, ArgMin, Var, Std, Norm, LogSumExp, CumSum, ProdAll, ProdDim,
    // math (issue 16): one-input elementwise, then the broadcasting binary minimum and maximum
    Sin, Cos, Log1p, Expm1, Erf, Rsqrt, Reciprocal, Sign, Floor, Round, Softplus, Elu, Gelu, GeluTanh, Silu, Mish, Hardtanh,
    Minimum, Maximum,
    // index (issue 16): indexing and masks (differentiable in their float operands), then comparisons and logical ops
    // (Bool results, no derivative)
    IndexSelect, Gather, ScatterAdd, MaskedFill, Where, WhereScalar,
    Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual,
    EqualScalar, NotEqualScalar, LessScalar, LessEqualScalar, GreaterScalar, GreaterEqualScalar,
    LogicalNot, LogicalAnd, LogicalOr, LogicalXor,
    // cross-entropy with class-probability targets (Int0 holds the Reduction): PyTorch's grad_fn is DivBackward1 for the
    // mean and NegBackward0 for the sum and none, so one opcode each
    CrossEntropyProbabilities, CrossEntropyProbabilitiesSum,
    // a custom autograd function (issue 17): Int0 is its entry in the arena's custom-function table, which holds the
    // function struct, its saved tensors and its name; the inputs are the operands
    Custom,
    // convolution and pooling (issue 18): window attributes in the operand buffer as integers (see
    // ForwardRules_Convolution.cs); Convolution saves the unfolded images, MaxPool2d the Int32 index of each output's
    // element; Im2Col and Col2Im are F.unfold and F.fold, each other's adjoints, which the convolution's graph rule uses
    Convolution, Im2Col, Col2Im, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d,
    // normalization (issue 18): F.layer_norm over the trailing dims (Int0 elements per row, Int1 normalized dims, eps in
    // Scalar0); Input1 and Input2 the optional weight and bias; Saved holds each row's shift x[0], mean offset and rstd ([rows, 3])
    LayerNorm,
    // fused recurrent cells (issue 18): (gi, gh, state) with gi, gh [B, G·H] the input and hidden projections; Saved holds
    // the gate activations backward reads. GRU: h' from (gi, gh, h); LSTM: c' from (gi, gh, c), then h' from (gi, gh, c')
    GruCell, LstmCellState, LstmCellOutput,
    // normalization and embeddings (issue 18). BatchNorm: Input0 x [N, C, ...], Input1 weight and Input2 bias ([C] or -1),
    // Saved the [2, C] mean and 1/sqrt(var + eps) backward uses, Int0 1 for batch statistics (training), Scalar0 eps,
    // Scalar1 momentum, operands the running_mean, running_var and num_batches_tracked slots (-1 where absent), which the
    // forward updates in training (so replays update them too). Embedding: Input0 the weight [num, dim], Input1 the Int32
    // index, Int0 the padding index (-1 for none), whose row gets no gradient.
    BatchNorm, Embedding,
}

/// <summary>PyTorch's grad_fn names: the table's name column, and the two ops whose name depends on operand ranks.</summary>
internal static unsafe class OpGradFnNames
{
    /// <summary>The name PyTorch 1.13 gives the backward node of an <paramref name="op"/> instruction with these operand
    /// ranks (rank1 is 0 and hasInput2 false where the op has no such input).</summary>
    public static string Of(OpCode op, int rank0, int rank1, bool hasInput2)
    {
        ref readonly OpInfo row = ref OpTable.Of(op);
        // An op with no derivative never goes on the tape; graph pictures of a trace name it by its opcode.
        return row.GradFnNameByRanks != null ? row.GradFnNameByRanks(rank0, rank1, hasInput2) : row.GradFnName ?? op.ToString();
    }

    /// <summary>torch.matmul dispatches to mm, mv, dot and bmm by rank.</summary>
    public static string MatMul(int rank0, int rank1, bool hasInput2) => (rank0, rank1) switch
    {
        (1, 1) => "DotBackward0",
        (2, 1) => "MvBackward0",
        (1, 2) => "SqueezeBackward3",
        (2, 2) => "MmBackward0",
        (2, _) => "CloneBackward0", // torch expands the matrix over the batch and clones it
        _ => "UnsafeViewBackward0",
    };

    /// <summary>F.linear is addmm for a matrix with bias, mm without, and a view of either for other ranks.</summary>
    public static string Linear(int rank0, int rank1, bool hasInput2) => rank0 switch
    {
        1 => hasInput2 ? "AddBackward0" : "SqueezeBackward3",
        2 => hasInput2 ? "AddmmBackward0" : "MmBackward0",
        _ => hasInput2 ? "ViewBackward0" : "UnsafeViewBackward0",
    };
}
