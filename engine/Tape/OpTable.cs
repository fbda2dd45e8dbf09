using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Tape;

/// <summary>
/// One row per opcode, in opcode order: everything the engine needs to know about an op. Adding an op means one
/// public method (engine/Ops), one row here, its forward in <see cref="ForwardRules"/>, its backward in
/// <see cref="BackwardRules"/> and its kernel structs (engine/Kernels); nothing else lists opcodes.
/// </summary>
/// <remarks>Columns: the grad_fn name, the forward (a unary row's forward is its <c>UnaryKernel</c>), the backward,
/// what backward reads (version checks), the scratch it takes, how a captured plan may fuse it, and its ONNX
/// operator. The rows are built once; the static constructor refuses a row out of place.</remarks>
internal static unsafe class OpTable
{
    private static readonly OpInfo[] Rows =
    [
        // elementwise binary with broadcasting
        Binary(OpCode.Add,      "AddBackward0", &ForwardRules.Add,      &BackwardRules.Add, &GraphBackwardRules.Add,      SavedOperands.None, BackwardScratch.None, "Add"),
        Binary(OpCode.Subtract, "SubBackward0", &ForwardRules.Subtract, &BackwardRules.Subtract, &GraphBackwardRules.Subtract, SavedOperands.None, BackwardScratch.None, "Sub"),
        Binary(OpCode.Multiply, "MulBackward0", &ForwardRules.Multiply, &BackwardRules.Multiply, &GraphBackwardRules.Multiply,
            new BackwardReads(0, SavedOperands.Input1, SavedOperands.Input0), new BackwardScratch(0, 2), "Mul"),       // g*b, g*a before reducing
        Binary(OpCode.Divide,   "DivBackward0", &ForwardRules.Divide,   &BackwardRules.Divide, &GraphBackwardRules.Divide,
            new BackwardReads(0, SavedOperands.Input1, SavedOperands.Input1 | SavedOperands.Output), new BackwardScratch(2, 1), "Div"), // g*y, g*y/b; g/b before reducing

        // elementwise with a scalar
        Pointwise(OpCode.AddScalar,             "AddBackward0",  &ForwardRules.AddScalar,             &BackwardRules.AddScalar, &GraphBackwardRules.AddScalar,             SavedOperands.None, "Add"),
        Pointwise(OpCode.SubtractScalar,        "SubBackward0",  &ForwardRules.SubtractScalar,        &BackwardRules.SubtractScalar, &GraphBackwardRules.SubtractScalar,        SavedOperands.None, "Sub"),
        Pointwise(OpCode.ReverseSubtractScalar, "RsubBackward1", &ForwardRules.ReverseSubtractScalar, &BackwardRules.ReverseSubtractScalar, &GraphBackwardRules.ReverseSubtractScalar, SavedOperands.None, "Sub"),
        Pointwise(OpCode.MultiplyScalar,        "MulBackward0",  &ForwardRules.MultiplyScalar,        &BackwardRules.MultiplyScalar, &GraphBackwardRules.MultiplyScalar,        SavedOperands.None, "Mul"),
        Pointwise(OpCode.DivideScalar,          "DivBackward0",  &ForwardRules.DivideScalar,          &BackwardRules.DivideScalar, &GraphBackwardRules.DivideScalar,          SavedOperands.None, "Div"),
        // torch computes s / x as reciprocal(x) * s
        Pointwise(OpCode.ReverseDivideScalar,   "MulBackward0",  &ForwardRules.ReverseDivideScalar,   &BackwardRules.ReverseDivideScalar, &GraphBackwardRules.ReverseDivideScalar,
            SavedOperands.Input0 | SavedOperands.Output, "Div"),

        // elementwise unary
        Pointwise(OpCode.Negate,    "NegBackward0",       &ForwardRules.Negate,    &BackwardRules.Negate, &GraphBackwardRules.Negate,    SavedOperands.None,   "Neg"),
        Pointwise(OpCode.Exp,       "ExpBackward0",       &ForwardRules.Exp,       &BackwardRules.Exp, &GraphBackwardRules.Exp,       SavedOperands.Output, "Exp"),
        Pointwise(OpCode.Log,       "LogBackward0",       &ForwardRules.Log,       &BackwardRules.Log, &GraphBackwardRules.Log,       SavedOperands.Input0, "Log"),
        Pointwise(OpCode.Tanh,      "TanhBackward0",      &ForwardRules.Tanh,      &BackwardRules.Tanh, &GraphBackwardRules.Tanh,      SavedOperands.Output, "Tanh"),
        Pointwise(OpCode.Sigmoid,   "SigmoidBackward0",   &ForwardRules.Sigmoid,   &BackwardRules.Sigmoid, &GraphBackwardRules.Sigmoid,   SavedOperands.Output, "Sigmoid"),
        Pointwise(OpCode.Relu,      "ReluBackward0",      &ForwardRules.Relu,      &BackwardRules.Relu, &GraphBackwardRules.Relu,      SavedOperands.Output, "Relu"),
        Pointwise(OpCode.Sqrt,      "SqrtBackward0",      &ForwardRules.Sqrt,      &BackwardRules.Sqrt, &GraphBackwardRules.Sqrt,      SavedOperands.Output, "Sqrt"),
        Pointwise(OpCode.Abs,       "AbsBackward0",       &ForwardRules.Abs,       &BackwardRules.Abs, &GraphBackwardRules.Abs,       SavedOperands.Input0, "Abs"),
        Pointwise(OpCode.Square,    "PowBackward0",       &ForwardRules.Square,    &BackwardRules.Square, &GraphBackwardRules.Square,    SavedOperands.Input0, "Pow"),
        Pointwise(OpCode.Pow,       "PowBackward0",       &ForwardRules.Pow,       &BackwardRules.Pow, &GraphBackwardRules.Pow,       SavedOperands.Input0, "Pow"),
        Pointwise(OpCode.LeakyRelu, "LeakyReluBackward0", &ForwardRules.LeakyRelu, &BackwardRules.LeakyRelu, &GraphBackwardRules.LeakyRelu, SavedOperands.Input0, "LeakyRelu"),
        Pointwise(OpCode.Clamp,     "ClampBackward1",     &ForwardRules.Clamp,     &BackwardRules.Clamp, &GraphBackwardRules.Clamp,     SavedOperands.Input0, "Clip"),

        // linear algebra: the grad_fn name depends on the operand ranks
        new(OpCode.MatMul, "MmBackward0", &OpGradFnNames.MatMul, &ForwardRules.MatMul, null, &BackwardRules.MatMul, &GraphBackwardRules.MatMul,
            new BackwardReads(0, SavedOperands.Input1, SavedOperands.Input0), BackwardScratch.None, OpFusion.None, false, "MatMul"),
        new(OpCode.Linear, "AddmmBackward0", &OpGradFnNames.Linear, &ForwardRules.Linear, null, &BackwardRules.Linear, &GraphBackwardRules.Linear,
            new BackwardReads(0, SavedOperands.Input1, SavedOperands.Input0), BackwardScratch.None, OpFusion.ChainHead, false, "Gemm"),

        // shape
        Op(OpCode.Reshape,   "ReshapeAliasBackward0", &ForwardRules.View,      &BackwardRules.Reshape, &GraphBackwardRules.Reshape,   SavedOperands.None, "Reshape"),
        Op(OpCode.Transpose, "TransposeBackward0",    &ForwardRules.Transpose, &BackwardRules.Transpose, &GraphBackwardRules.Transpose, SavedOperands.None, "Transpose"),
        new(OpCode.Concat, "CatBackward0", null, &ForwardRules.Concat, null, &BackwardRules.Concat, &GraphBackwardRules.Concat,
            SavedOperands.None, BackwardScratch.None, OpFusion.None, operandsAreInputs: true, "Concat"),

        // reductions
        Op(OpCode.SumAll,     "SumBackward0",        &ForwardRules.SumAll,     &BackwardRules.SumAll, &GraphBackwardRules.SumAll,     SavedOperands.None, "ReduceSum"),
        Op(OpCode.SumDim,     "SumBackward1",        &ForwardRules.SumDim,     &BackwardRules.SumDim, &GraphBackwardRules.SumDim,     SavedOperands.None, "ReduceSum"),
        Op(OpCode.MeanAll,    "MeanBackward0",       &ForwardRules.MeanAll,    &BackwardRules.MeanAll, &GraphBackwardRules.MeanAll,    SavedOperands.None, "ReduceMean"),
        Op(OpCode.MeanDim,    "MeanBackward1",       &ForwardRules.MeanDim,    &BackwardRules.MeanDim, &GraphBackwardRules.MeanDim,    SavedOperands.None, "ReduceMean"),
        Op(OpCode.MaxAll,     "MaxBackward1",        &ForwardRules.MaxAll,     &BackwardRules.MaxAll, &GraphBackwardRules.MaxAll,     SavedOperands.Input0 | SavedOperands.Output, "ReduceMax"),
        Op(OpCode.MaxDim,     "AmaxBackward0",       &ForwardRules.MaxDim,     &BackwardRules.MaxDim, &GraphBackwardRules.MaxDim,     SavedOperands.Input0 | SavedOperands.Output, "ReduceMax"),
        Op(OpCode.Softmax,    "SoftmaxBackward0",    &ForwardRules.Softmax,    &BackwardRules.Softmax, &GraphBackwardRules.Softmax,    SavedOperands.Output, "Softmax"),
        Op(OpCode.LogSoftmax, "LogSoftmaxBackward0", &ForwardRules.LogSoftmax, &BackwardRules.LogSoftmax, &GraphBackwardRules.LogSoftmax, SavedOperands.Output, "LogSoftmax"),

        // losses (ONNX has no inference form of these, except the two class losses, which opset 12 added)
        Op(OpCode.MseLoss,      "MseLossBackward0", &ForwardRules.MseLoss,       &BackwardRules.MseLoss, &GraphBackwardRules.MseLoss,      SavedOperands.Input0 | SavedOperands.Input1, null),
        Op(OpCode.CrossEntropy, "NllLossBackward0", &ForwardRules.CrossEntropy,  &BackwardRules.CrossEntropy, &GraphBackwardRules.CrossEntropy, SavedOperands.Saved | SavedOperands.Input1, "SoftmaxCrossEntropyLoss"), // log-probabilities, not the logits
        // PyTorch 1.13 composes l1_loss from abs and mean/sum, and label-smoothed cross_entropy from nll_loss plus a
        // smoothing term, so their grad_fn names depend on those settings: one opcode each (Int0 holds the Reduction).
        Op(OpCode.L1LossMean,   "MeanBackward0",    &ForwardRules.L1Loss,        &BackwardRules.L1Loss, &GraphBackwardRules.L1Loss,       SavedOperands.Input0 | SavedOperands.Input1, null),
        Op(OpCode.L1LossSum,    "SumBackward0",     &ForwardRules.L1Loss,        &BackwardRules.L1Loss, &GraphBackwardRules.L1Loss,       SavedOperands.Input0 | SavedOperands.Input1, null),
        Op(OpCode.L1LossNone,   "AbsBackward0",     &ForwardRules.L1Loss,        &BackwardRules.L1Loss, &GraphBackwardRules.L1Loss,       SavedOperands.Input0 | SavedOperands.Input1, null),
        Op(OpCode.SmoothL1Loss, "SmoothL1LossBackward0", &ForwardRules.SmoothL1Loss, &BackwardRules.SmoothL1Loss, &GraphBackwardRules.SmoothL1Loss, SavedOperands.Input0 | SavedOperands.Input1, null),
        Op(OpCode.HuberLoss,    "HuberLossBackward0",    &ForwardRules.HuberLoss,    &BackwardRules.HuberLoss, &GraphBackwardRules.HuberLoss,    SavedOperands.Input0 | SavedOperands.Input1, null),
        Op(OpCode.BinaryCrossEntropyWithLogits, "BinaryCrossEntropyWithLogitsBackward0", &ForwardRules.BinaryCrossEntropyWithLogits,
            &BackwardRules.BinaryCrossEntropyWithLogits, &GraphBackwardRules.BinaryCrossEntropyWithLogits, SavedOperands.Input0 | SavedOperands.Input1, null),
        Op(OpCode.NllLoss,      "NllLossBackward0", &ForwardRules.NllLoss,       &BackwardRules.NllLoss, &GraphBackwardRules.NllLoss,      SavedOperands.Input0 | SavedOperands.Input1, "NegativeLogLikelihoodLoss"), // PyTorch's node saves self
        Op(OpCode.CrossEntropySmoothed, "AddBackward0", &ForwardRules.CrossEntropy, &BackwardRules.CrossEntropy, &GraphBackwardRules.CrossEntropy, SavedOperands.Saved | SavedOperands.Input1, "SoftmaxCrossEntropyLoss"),
        // (the class losses' Input1, when set, is an Int32 target tensor read by forward and backward: index, issue 16)

        // dtypes (issue 16)
        NoGradient(OpCode.Cast, &ForwardRules.Cast, "Cast"),

        // views and shape ops (issue 16): copies, except the three views (forward View, values shared)
        Op(OpCode.Slice,          "SliceBackward0",          &ForwardRules.Slice,   &BackwardRules.Slice, &GraphBackwardRules.Slice,          SavedOperands.None, "Slice"),
        Op(OpCode.Select,         "SelectBackward0",         &ForwardRules.Select,  &BackwardRules.Select, &GraphBackwardRules.Select,         SavedOperands.None, "Gather"),
        Op(OpCode.Permute,        "PermuteBackward0",        &ForwardRules.Permute, &BackwardRules.Permute, &GraphBackwardRules.Permute,        SavedOperands.None, "Transpose"),
        Op(OpCode.Unsqueeze,      "UnsqueezeBackward0",      &ForwardRules.View,    &BackwardRules.Unsqueeze, &GraphBackwardRules.Unsqueeze,      SavedOperands.None, "Unsqueeze"),
        Op(OpCode.SqueezeAll,     "SqueezeBackward0",        &ForwardRules.View,    &BackwardRules.SqueezeAll, &GraphBackwardRules.SqueezeAll,     SavedOperands.None, "Squeeze"),
        Op(OpCode.SqueezeDim,     "SqueezeBackward1",        &ForwardRules.View,    &BackwardRules.SqueezeDim, &GraphBackwardRules.SqueezeDim,     SavedOperands.None, "Squeeze"),
        Op(OpCode.Expand,         "ExpandBackward0",         &ForwardRules.Expand,  &BackwardRules.Expand, &GraphBackwardRules.Expand,         SavedOperands.None, "Expand"),
        Op(OpCode.Repeat,         "RepeatBackward0",         &ForwardRules.Repeat,  &BackwardRules.Repeat, &GraphBackwardRules.Repeat,         SavedOperands.None, "Tile"),
        new(OpCode.Stack, "StackBackward0", null, &ForwardRules.Stack, null, &BackwardRules.Stack, &GraphBackwardRules.Stack,
            SavedOperands.None, BackwardScratch.None, OpFusion.None, operandsAreInputs: true, null), // ONNX: Unsqueeze each, then Concat
        Op(OpCode.Split,          "SplitBackward0",          &ForwardRules.Slice,   &BackwardRules.Split, &GraphBackwardRules.Split,          SavedOperands.None, "Split"),
        Op(OpCode.SplitWithSizes, "SplitWithSizesBackward0", &ForwardRules.Slice,   &BackwardRules.SplitWithSizes, &GraphBackwardRules.SplitWithSizes, SavedOperands.None, "Split"),
        // reductions (issue 16). Amax is MaxDim and Amin is MinDim (torch.amax/amin: ties share g). The value-and-index
        // pairs are ReduceMax/ReduceMin for their values (ArgMax/ArgMin give the indices). ONNX has no variance, standard
        // deviation or general p-norm operator: ReduceL2 is the default p = 2 (ReduceL1 is p = 1).
        Op(OpCode.MinAll,            "MinBackward1",        &ForwardRules.MinAll,            &BackwardRules.MinAll, &GraphBackwardRules.MinAll,            SavedOperands.Input0 | SavedOperands.Output, "ReduceMin"),
        Op(OpCode.MinDim,            "AminBackward0",       &ForwardRules.MinDim,            &BackwardRules.MinDim, &GraphBackwardRules.MinDim,            SavedOperands.Input0 | SavedOperands.Output, "ReduceMin"),
        Op(OpCode.MaxDimWithIndices, "MaxBackward0",        &ForwardRules.MaxDimWithIndices, &BackwardRules.MaxDimWithIndices, &GraphBackwardRules.MaxDimWithIndices, SavedOperands.Saved, "ReduceMax"),
        Op(OpCode.MinDimWithIndices, "MinBackward0",        &ForwardRules.MinDimWithIndices, &BackwardRules.MinDimWithIndices, &GraphBackwardRules.MinDimWithIndices, SavedOperands.Saved, "ReduceMin"),
        NoGradient(OpCode.ArgMax, &ForwardRules.ArgMax, "ArgMax"),
        NoGradient(OpCode.ArgMin, &ForwardRules.ArgMin, "ArgMin"),
        Op(OpCode.Var,               "VarBackward0",        &ForwardRules.Var,               &BackwardRules.Var, &GraphBackwardRules.Var,               SavedOperands.Input0, null),
        Op(OpCode.Std,               "StdBackward0",        &ForwardRules.Std,               &BackwardRules.Std, &GraphBackwardRules.Std,               SavedOperands.Input0 | SavedOperands.Output, null),
        Op(OpCode.Norm,              "NormBackward1",       &ForwardRules.Norm,              &BackwardRules.Norm, &GraphBackwardRules.Norm,              SavedOperands.Input0 | SavedOperands.Output, "ReduceL2"),
        Op(OpCode.LogSumExp,         "LogsumexpBackward0",  &ForwardRules.LogSumExp,         &BackwardRules.LogSumExp, &GraphBackwardRules.LogSumExp,         SavedOperands.Input0 | SavedOperands.Output, "ReduceLogSumExp"),
        Op(OpCode.CumSum,            "CumsumBackward0",     &ForwardRules.CumSum,            &BackwardRules.CumSum, &GraphBackwardRules.CumSum,            SavedOperands.None, "CumSum"),
        new(OpCode.ProdAll, "ProdBackward0", null, &ForwardRules.ProdAll, null, &BackwardRules.ProdAll, &GraphBackwardRules.ProdAll, SavedOperands.Input0,
            new BackwardScratch(0, 0, input0s: 1), OpFusion.None, false, "ReduceProd"),                                  // the exclusive products
        new(OpCode.ProdDim, "ProdBackward1", null, &ForwardRules.ProdDim, null, &BackwardRules.ProdDim, &GraphBackwardRules.ProdDim, SavedOperands.Input0,
            new BackwardScratch(0, 0, input0s: 1), OpFusion.None, false, "ReduceProd"),
        // math (issue 16). ONNX has no Log1p, Expm1, Rsqrt, Silu or Mish operator (Mish is opset 18's, Gelu opset 20's:
        // past the importer's opsets), so those rows name none; Hardtanh is ONNX's Clip.
        Pointwise(OpCode.Sin,        "SinBackward0",        &ForwardRules.Sin,        &BackwardRules.Sin, &GraphBackwardRules.Sin,        SavedOperands.Input0, "Sin"),
        Pointwise(OpCode.Cos,        "CosBackward0",        &ForwardRules.Cos,        &BackwardRules.Cos, &GraphBackwardRules.Cos,        SavedOperands.Input0, "Cos"),
        Pointwise(OpCode.Log1p,      "Log1PBackward0",      &ForwardRules.Log1p,      &BackwardRules.Log1p, &GraphBackwardRules.Log1p,      SavedOperands.Input0, null),
        Pointwise(OpCode.Expm1,      "Expm1Backward0",      &ForwardRules.Expm1,      &BackwardRules.Expm1, &GraphBackwardRules.Expm1,      SavedOperands.Output, null),
        Pointwise(OpCode.Erf,        "ErfBackward0",        &ForwardRules.Erf,        &BackwardRules.Erf, &GraphBackwardRules.Erf,        SavedOperands.Input0, "Erf"),
        Pointwise(OpCode.Rsqrt,      "RsqrtBackward0",      &ForwardRules.Rsqrt,      &BackwardRules.Rsqrt, &GraphBackwardRules.Rsqrt,      SavedOperands.Output, null),
        Pointwise(OpCode.Reciprocal, "ReciprocalBackward0", &ForwardRules.Reciprocal, &BackwardRules.Reciprocal, &GraphBackwardRules.Reciprocal, SavedOperands.Output, "Reciprocal"),
        Pointwise(OpCode.Sign,       "SignBackward0",       &ForwardRules.Sign,       &BackwardRules.Sign, &GraphBackwardRules.Sign,       SavedOperands.None,   "Sign"),
        Pointwise(OpCode.Floor,      "FloorBackward0",      &ForwardRules.Floor,      &BackwardRules.Floor, &GraphBackwardRules.Floor,      SavedOperands.None,   "Floor"),
        Pointwise(OpCode.Round,      "RoundBackward0",      &ForwardRules.Round,      &BackwardRules.Round, &GraphBackwardRules.Round,      SavedOperands.None,   "Round"),
        Pointwise(OpCode.Softplus,   "SoftplusBackward0",   &ForwardRules.Softplus,   &BackwardRules.Softplus, &GraphBackwardRules.Softplus,   SavedOperands.Input0, "Softplus"),
        Pointwise(OpCode.Elu,        "EluBackward0",        &ForwardRules.Elu,        &BackwardRules.Elu, &GraphBackwardRules.Elu,        SavedOperands.Input0, "Elu"),
        Pointwise(OpCode.Gelu,       "GeluBackward0",       &ForwardRules.Gelu,       &BackwardRules.Gelu, &GraphBackwardRules.Gelu,       SavedOperands.Input0, null),
        Pointwise(OpCode.GeluTanh,   "GeluBackward0",       &ForwardRules.GeluTanh,   &BackwardRules.GeluTanh, &GraphBackwardRules.GeluTanh,   SavedOperands.Input0, null),
        Pointwise(OpCode.Silu,       "SiluBackward0",       &ForwardRules.Silu,       &BackwardRules.Silu, &GraphBackwardRules.Silu,       SavedOperands.Input0, null),
        Pointwise(OpCode.Mish,       "MishBackward0",       &ForwardRules.Mish,       &BackwardRules.Mish, &GraphBackwardRules.Mish,       SavedOperands.Input0, null),
        Pointwise(OpCode.Hardtanh,   "HardtanhBackward0",   &ForwardRules.Hardtanh,   &BackwardRules.Hardtanh, &GraphBackwardRules.Hardtanh,   SavedOperands.Input0, "Clip"),
        Binary(OpCode.Minimum, "MinimumBackward0", &ForwardRules.Minimum, &BackwardRules.Minimum, &GraphBackwardRules.Minimum,
            SavedOperands.Input0 | SavedOperands.Input1, new BackwardScratch(2, 0), "Min"),                          // each side's share of g
        Binary(OpCode.Maximum, "MaximumBackward0", &ForwardRules.Maximum, &BackwardRules.Maximum, &GraphBackwardRules.Maximum,
            SavedOperands.Input0 | SavedOperands.Input1, new BackwardScratch(2, 0), "Max"),

        // index (issue 16): backward of the index ops reads the index (Input1) and scatter-adds; Where is
        // (a, b, condition) so that the broadcast test of BackwardScratch looks at the two inputs that take gradients
        Op(OpCode.IndexSelect, "IndexSelectBackward0", &ForwardRules.IndexSelect, &BackwardRules.IndexSelect, &GraphBackwardRules.IndexSelect, SavedOperands.Input1, "Gather"),
        Op(OpCode.Gather,      "GatherBackward0",      &ForwardRules.Gather,      &BackwardRules.Gather, &GraphBackwardRules.Gather,      SavedOperands.Input1, "GatherElements"),
        Op(OpCode.ScatterAdd,  "ScatterAddBackward0",  &ForwardRules.ScatterAdd,  &BackwardRules.ScatterAdd, &GraphBackwardRules.ScatterAdd,  SavedOperands.Input1, "ScatterElements"),
        new(OpCode.MaskedFill, "MaskedFillBackward0", null, &ForwardRules.MaskedFill, null, &BackwardRules.MaskedFill, &GraphBackwardRules.MaskedFill,
            SavedOperands.Input1, new BackwardScratch(0, 1), OpFusion.None, false, null),               // g masked before reducing
        new(OpCode.Where, "WhereBackward0", null, &ForwardRules.Where, null, &BackwardRules.Where, &GraphBackwardRules.Where,
            SavedOperands.Input2, new BackwardScratch(0, 2), OpFusion.None, false, "Where"),            // g masked for a, for b
        new(OpCode.WhereScalar, "WhereBackward0", null, &ForwardRules.WhereScalar, null, &BackwardRules.Where, &GraphBackwardRules.Where,
            SavedOperands.Input2, new BackwardScratch(0, 1), OpFusion.None, false, "Where"),
        NoGradient(OpCode.Equal,              &ForwardRules.Equal,              "Equal"),
        NoGradient(OpCode.NotEqual,           &ForwardRules.NotEqual,           null), // ONNX: Not(Equal)
        NoGradient(OpCode.Less,               &ForwardRules.Less,               "Less"),
        NoGradient(OpCode.LessEqual,          &ForwardRules.LessEqual,          "LessOrEqual"),
        NoGradient(OpCode.Greater,            &ForwardRules.Greater,            "Greater"),
        NoGradient(OpCode.GreaterEqual,       &ForwardRules.GreaterEqual,       "GreaterOrEqual"),
        NoGradient(OpCode.EqualScalar,        &ForwardRules.EqualScalar,        "Equal"),
        NoGradient(OpCode.NotEqualScalar,     &ForwardRules.NotEqualScalar,     null),
        NoGradient(OpCode.LessScalar,         &ForwardRules.LessScalar,         "Less"),
        NoGradient(OpCode.LessEqualScalar,    &ForwardRules.LessEqualScalar,    "LessOrEqual"),
        NoGradient(OpCode.GreaterScalar,      &ForwardRules.GreaterScalar,      "Greater"),
        NoGradient(OpCode.GreaterEqualScalar, &ForwardRules.GreaterEqualScalar, "GreaterOrEqual"),
        NoGradient(OpCode.LogicalNot,         &ForwardRules.LogicalNot,         "Not"),
        NoGradient(OpCode.LogicalAnd,         &ForwardRules.LogicalAnd,         "And"),
        NoGradient(OpCode.LogicalOr,          &ForwardRules.LogicalOr,          "Or"),
        NoGradient(OpCode.LogicalXor,         &ForwardRules.LogicalXor,         "Xor"),
        // ONNX's SoftmaxCrossEntropyLoss takes class indices only
        Op(OpCode.CrossEntropyProbabilities,    "DivBackward1", &ForwardRules.CrossEntropyProbabilities, &BackwardRules.CrossEntropyProbabilities, &GraphBackwardRules.CrossEntropyProbabilities,
            SavedOperands.Saved | SavedOperands.Input1, null),
        Op(OpCode.CrossEntropyProbabilitiesSum, "NegBackward0", &ForwardRules.CrossEntropyProbabilities, &BackwardRules.CrossEntropyProbabilities, &GraphBackwardRules.CrossEntropyProbabilities,
            SavedOperands.Saved | SavedOperands.Input1, null),

        // a custom autograd function: its forward ran the user's code once (replays refuse it), its backward is the user's
        // code on tensors, so it only has the graph form (a pass that reaches it runs the graph pass); what it saved is
        // version-checked from its table entry, and its grad_fn name is the function's type name plus "Backward"
        new(OpCode.Custom, "CustomFunctionBackward", null, &ForwardRules.Custom, null, &BackwardRules.Custom, &GraphBackwardRules.Custom,
            SavedOperands.None, BackwardScratch.None, OpFusion.None, operandsAreInputs: true, null),

        // convolution and pooling: the convolution reads the saved unfolded images (or x) for W's gradient and W for x's, and
        // transposes g into output-sized scratch when it runs as one product over the batch; fold's backward unfolds into
        // scratch of its input's size when the gradient already holds a value. ONNX operators: Conv, MaxPool, AveragePool
        // (count_include_pad 1); the adaptive pool is ONNX GlobalAveragePool only for a 1×1 output, and im2col/col2im have
        // no ONNX operator (OpTableOnnxTests holds the column to what import reads)
        new(OpCode.Convolution, "ConvolutionBackward0", null, &ForwardRules.Convolution, null, &BackwardRules.Convolution, &GraphBackwardRules.Convolution,
            new BackwardReads(SavedOperands.Saved, SavedOperands.Input1, SavedOperands.Input0), new BackwardScratch(1, 0), OpFusion.None, false, "Conv"),
        Op(OpCode.Im2Col, "Im2ColBackward0", &ForwardRules.Im2ColOp, &BackwardRules.Im2ColOp, &GraphBackwardRules.Im2ColOp, SavedOperands.None, null),
        new(OpCode.Col2Im, "Col2ImBackward0", null, &ForwardRules.Col2ImOp, null, &BackwardRules.Col2ImOp, &GraphBackwardRules.Col2ImOp,
            SavedOperands.None, new BackwardScratch(0, 0, 1), OpFusion.None, false, null),
        Op(OpCode.MaxPool2d, "MaxPool2DWithIndicesBackward0", &ForwardRules.MaxPool2d, &BackwardRules.MaxPool2d, &GraphBackwardRules.MaxPool2d,
            SavedOperands.Saved, "MaxPool"),
        Op(OpCode.AvgPool2d, "AvgPool2DBackward0", &ForwardRules.AvgPool2d, &BackwardRules.AvgPool2d, &GraphBackwardRules.AvgPool2d, SavedOperands.None, "AveragePool"),
        Op(OpCode.AdaptiveAvgPool2d, "AdaptiveAvgPool2DBackward0", &ForwardRules.AdaptiveAvgPool2d, &BackwardRules.AdaptiveAvgPool2d,
            &GraphBackwardRules.AdaptiveAvgPool2d, SavedOperands.None, null),
        // normalization (issue 18): backward reads x and the saved mean and rstd always, the weight for dx
        new(OpCode.LayerNorm, "NativeLayerNormBackward0", null, &ForwardRules.LayerNorm, null, &BackwardRules.LayerNorm, &GraphBackwardRules.LayerNorm,
            new BackwardReads(SavedOperands.Input0 | SavedOperands.Saved, SavedOperands.Input1, 0), BackwardScratch.None, OpFusion.None, false, "LayerNormalization"), // ONNX LayerNormalization is opset 17
        // fused recurrent cells (issue 18): named as PyTorch CUDA's fused cells (_thnn_fused_gru_cell / _lstm_cell; the CPU
        // composes them from ops). Both LSTM halves carry the LSTM node's name, since PyTorch's one node gives h' and c'.
        // ONNX's GRU and LSTM operators are whole sequences, not cells: the rows name none (the importer runs them with these).
        new(OpCode.GruCell, "ThnnFusedGruCellBackward0", null, &ForwardRules.GruCell, null, &BackwardRules.GruCell, &GraphBackwardRules.GruCell,
            new BackwardReads(SavedOperands.Saved, SavedOperands.Input1 | SavedOperands.Input2, SavedOperands.Input1 | SavedOperands.Input2), // r, z, n; gh_n and h for dgi, dgh
            BackwardScratch.None, OpFusion.None, false, null),
        new(OpCode.LstmCellState, "ThnnFusedLstmCellBackward0", null, &ForwardRules.LstmCellState, null, &BackwardRules.LstmCellState, &GraphBackwardRules.LstmCellState,
            new BackwardReads(SavedOperands.Saved, SavedOperands.Input2, SavedOperands.Input2), BackwardScratch.None, OpFusion.None, false, null), // i, f, g; c for df
        Op(OpCode.LstmCellOutput, "ThnnFusedLstmCellBackward0", &ForwardRules.LstmCellOutput, &BackwardRules.LstmCellOutput, &GraphBackwardRules.LstmCellOutput,
            SavedOperands.Saved, null),
        // normalization and embeddings (issue 18): batch norm's backward reads x, the weight and the saved statistics (not
        // the running buffers, which the forward may update again); embedding's reads the index only. ONNX
        // BatchNormalization is the evaluation form (running statistics); Gather with the graph's token ids is the embedding.
        Op(OpCode.BatchNorm, "NativeBatchNormBackward0", &ForwardRules.BatchNorm, &BackwardRules.BatchNorm, &GraphBackwardRules.BatchNorm,
            SavedOperands.Input0 | SavedOperands.Input1 | SavedOperands.Saved, "BatchNormalization"),
        Op(OpCode.Embedding, "EmbeddingBackward0", &ForwardRules.Embedding, &BackwardRules.Embedding, &GraphBackwardRules.Embedding,
            SavedOperands.Input1, "Gather"),
    ];

    static OpTable()
    {
        for (int i = 0; i < Rows.Length; i++)
            if ((int)Rows[i].Op != i)
                throw new InvalidOperationException($"Internal error: the op table's row {i} describes {Rows[i].Op}, not {(OpCode)i}.");
    }

    /// <summary>The row of <paramref name="op"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref readonly OpInfo Of(OpCode op) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Rows), (int)op);

    /// <summary>How many rows the table has (tests compare it with the opcodes).</summary>
    public static int Count => Rows.Length;

    /// <summary>Whether <paramref name="op"/> has a row (an opcode past the table's end has none).</summary>
    public static bool Has(OpCode op) => (int)op < Rows.Length;

    /// <summary>A broadcasting two-input elementwise op.</summary>
    private static OpInfo Binary(OpCode op, string gradFn, delegate*<Arena, in Instruction, void> forward,
        delegate*<Arena, in Instruction, ReadOnlySpan<float>, void> backward, delegate*<Arena, in Instruction, Tensor, void> graphBackward,
        BackwardReads reads, BackwardScratch scratch, string onnx) =>
        new(op, gradFn, null, forward, null, backward, graphBackward, reads, scratch, OpFusion.None, false, onnx);

    /// <summary>A one-input elementwise op: its forward is its kernel, and a captured plan may chain it.</summary>
    private static OpInfo Pointwise(OpCode op, string gradFn, delegate*<float, float, ReadOnlySpan<float>, Span<float>, void> kernel,
        delegate*<Arena, in Instruction, ReadOnlySpan<float>, void> backward, delegate*<Arena, in Instruction, Tensor, void> graphBackward,
        SavedOperands reads, string? onnx) =>
        new(op, gradFn, null, &ForwardRules.Pointwise, kernel, backward, graphBackward, reads, BackwardScratch.None, OpFusion.Elementwise, false, onnx);

    /// <summary>An op with no derivative: its result is Int32 or Bool (or a Float32 made from them), so it never requires
    /// grad and the op is traced (for replays and pictures) but never recorded on the tape.</summary>
    private static OpInfo NoGradient(OpCode op, delegate*<Arena, in Instruction, void> forward, string? onnx) =>
        new(op, null, null, forward, null, &BackwardRules.NotDifferentiable, null, SavedOperands.None, BackwardScratch.None, OpFusion.None, false, onnx);

    /// <summary>An op that runs alone and takes no scratch.</summary>
    private static OpInfo Op(OpCode op, string gradFn, delegate*<Arena, in Instruction, void> forward,
        delegate*<Arena, in Instruction, ReadOnlySpan<float>, void> backward, delegate*<Arena, in Instruction, Tensor, void> graphBackward,
        SavedOperands reads, string? onnx) =>
        new(op, gradFn, null, forward, null, backward, graphBackward, reads, BackwardScratch.None, OpFusion.None, false, onnx);
}
