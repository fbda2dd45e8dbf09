namespace ArenaGrad.Tests.Reliability;

/// <summary>Every public op either completes or leaves the arena exactly as it was, whichever of its float
/// allocations fails (the arena's fault-injection hook makes the Nth allocation throw as the cap would).</summary>
public sealed class OpAtomicityTests
{
    /// <summary>Makes the op's inputs in <c>arena</c> (with <c>grad</c> deciding whether they require grad) and
    /// returns the op itself, which gives back the values it should produce.</summary>
    public delegate Func<float[]> OpSetup(Arena arena, bool grad);

    private static Tensor M(Arena arena, bool grad, params int[] shape)
    {
        // Deterministic, distinct, positive values so that log/sqrt/divide are defined.
        int n = 1;
        foreach (int d in shape) n *= d;
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = 0.5f + 0.25f * ((i * 7 + shape.Length) % 11);
        return arena.FromData(values, shape, grad);
    }

    private static float[] V(Tensor t) => t.ToArray();

    /// <summary>Every public operation: Tensor's methods and operators, Functional, the factories and in-place ops.</summary>
    public static IEnumerable<TestCaseData> Ops()
    {
        static TestCaseData Case(string name, OpSetup setup) => new TestCaseData(setup).SetArgDisplayNames(name);

        // elementwise unary
        yield return Case("Exp", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Exp()); });
        yield return Case("Log", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Log()); });
        yield return Case("Tanh", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Tanh()); });
        yield return Case("Sigmoid", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Sigmoid()); });
        yield return Case("Relu", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Relu()); });
        yield return Case("Sqrt", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Sqrt()); });
        yield return Case("Abs", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Abs()); });
        yield return Case("Square", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Square()); });
        yield return Case("Pow", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Pow(1.5f)); });
        yield return Case("LeakyRelu", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.LeakyRelu(0.1f)); });
        yield return Case("Clamp", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Clamp(0.7f, 2f)); });
        yield return Case("Negate", (a, g) => { var x = M(a, g, 2, 3); return () => V(-x); });
        // with a scalar
        yield return Case("AddScalar", (a, g) => { var x = M(a, g, 5); return () => V(x + 2f); });
        yield return Case("ScalarAdd", (a, g) => { var x = M(a, g, 5); return () => V(2f + x); });
        yield return Case("SubtractScalar", (a, g) => { var x = M(a, g, 5); return () => V(x - 2f); });
        yield return Case("ReverseSubtractScalar", (a, g) => { var x = M(a, g, 5); return () => V(2f - x); });
        yield return Case("MultiplyScalar", (a, g) => { var x = M(a, g, 5); return () => V(x * 3f); });
        yield return Case("ScalarMultiply", (a, g) => { var x = M(a, g, 5); return () => V(3f * x); });
        yield return Case("DivideScalar", (a, g) => { var x = M(a, g, 5); return () => V(x / 3f); });
        yield return Case("ReverseDivideScalar", (a, g) => { var x = M(a, g, 5); return () => V(3f / x); });
        // binary with broadcasting
        yield return Case("Add", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, g, 3); return () => V(x + y); });
        yield return Case("Subtract", (a, g) => { var x = M(a, g, 2, 1); var y = M(a, g, 3); return () => V(x - y); });
        yield return Case("Multiply", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, g, 2, 3); return () => V(x * y); });
        yield return Case("Divide", (a, g) => { var x = M(a, g, 1); var y = M(a, g, 4, 3); return () => V(x / y); });
        // linear algebra
        yield return Case("MatMul2D", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, g, 3, 4); return () => V(x.MatMul(y)); });
        yield return Case("MatMulBatched", (a, g) => { var x = M(a, g, 2, 2, 3); var y = M(a, g, 3, 2); return () => V(x.MatMul(y)); });
        yield return Case("MatMulVector", (a, g) => { var x = M(a, g, 3); var y = M(a, g, 3); return () => V(x.MatMul(y)); });
        yield return Case("Linear", (a, g) => { var x = M(a, g, 4, 3); var w = M(a, g, 2, 3); var b = M(a, g, 2); return () => V(Functional.Linear(x, w, b)); });
        yield return Case("LinearNoBias", (a, g) => { var x = M(a, g, 3); var w = M(a, g, 2, 3); return () => V(Functional.Linear(x, w)); });
        // shape
        yield return Case("Reshape", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Reshape(3, -1)); });
        yield return Case("Transpose", (a, g) => { var x = M(a, g, 2, 3, 2); return () => V(x.Transpose(0, 2)); });
        yield return Case("Detach", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Detach()); });
        yield return Case("Cat", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, g, 1, 3); return () => V(Functional.Cat([x, y, x], 0)); });
        // reductions
        yield return Case("Sum", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Sum()); });
        yield return Case("SumDim", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Sum(1, keepDim: true)); });
        yield return Case("Mean", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Mean()); });
        yield return Case("MeanDim", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Mean(0)); });
        yield return Case("Max", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Max()); });
        yield return Case("MaxDim", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Max(-1)); });
        yield return Case("Softmax", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.Softmax(1)); });
        yield return Case("LogSoftmax", (a, g) => { var x = M(a, g, 2, 3); return () => V(x.LogSoftmax(0)); });
        // losses
        yield return Case("MseLoss", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, false, 3, 2).Reshape(2, 3) * 0.5f; return () => V(Functional.MseLoss(x, y)); });
        yield return Case("CrossEntropy", (a, g) => { var x = M(a, g, 3, 4); int[] t = [0, 3, 1]; return () => V(Functional.CrossEntropy(x, t)); });
        yield return Case("MseLossNone", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, false, 2, 3) * 0.5f; return () => V(Functional.MseLoss(x, y, Reduction.None)); });
        yield return Case("L1LossSum", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, false, 2, 3) * 0.5f; return () => V(Functional.L1Loss(x, y, Reduction.Sum)); });
        yield return Case("SmoothL1Loss", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, false, 2, 3) * 0.5f; return () => V(Functional.SmoothL1Loss(x, y, 0.5f)); });
        yield return Case("HuberLossNone", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, false, 2, 3) * 0.5f; return () => V(Functional.HuberLoss(x, y, 1.5f, Reduction.None)); });
        yield return Case("BinaryCrossEntropyWithLogits", (a, g) => { var x = M(a, g, 2, 3); var y = M(a, false, 2, 3) * 0.1f; return () => V(Functional.BinaryCrossEntropyWithLogits(x, y)); });
        yield return Case("NllLoss", (a, g) => { var x = M(a, g, 3, 4); int[] t = [0, 3, -100]; return () => V(Functional.NllLoss(x, t, Reduction.Sum)); });
        yield return Case("CrossEntropySmoothedNone", (a, g) => { var x = M(a, g, 3, 4); int[] t = [0, 3, 1]; return () => V(Functional.CrossEntropy(x, t, Reduction.None, labelSmoothing: 0.1f)); });
        // factories
        yield return Case("Zeros", (a, g) => () => V(a.Zeros([2, 3], g)));
        yield return Case("Ones", (a, g) => () => V(a.Ones([4], g)));
        yield return Case("Full", (a, g) => () => V(a.Full([3, 1], 2.5f, g)));
        yield return Case("Scalar", (a, g) => () => V(a.Scalar(4f, g)));
        yield return Case("FromData", (a, g) => () => V(a.FromData([1f, 2f, 3f, 4f], [2, 2], g)));
        yield return Case("FromData1D", (a, g) => () => V(a.FromData([1f, 2f, 3f], g)));
        yield return Case("Range", (a, g) => () => V(a.Range(1, 6)));
        yield return Case("Arange", (a, g) => () => V(a.Arange(5)));
        yield return Case("ArangeStep", (a, g) => () => V(a.Arange(1, 2, 0.25f)));
        yield return Case("Rand", (a, g) => () => V(a.Rand([7], g)));
        yield return Case("Uniform", (a, g) => () => V(a.Uniform([7], -2f, 2f, g)));
        yield return Case("Randn", (a, g) => () => V(a.Randn([7], g, 1f, 2f)));
        // modules and optimizers (built outside scopes: parameters and optimizer state live as long as the arena)
        yield return Case("NnLinear", (a, g) => () => { var layer = new ArenaGrad.Nn.Linear(a, 3, 2); return [.. V(layer.Weight), .. V(layer.Bias!.Value)]; });
        yield return Case("Mlp", (a, g) => () => { var mlp = new ArenaGrad.Nn.Mlp(a, [2, 4, 3]); return [.. mlp.Parameters().SelectMany(p => V(p))]; });
        yield return Case("DropoutForward", (a, g) => { var x = M(a, g, 4, 5); var dropout = new ArenaGrad.Nn.Dropout(0.3f); return () => V(dropout.Forward(x)); });
        // recurrent layers (issue 18): parameters made whole or not at all; cells and sequences over every float allocation
        yield return Case("NnGRU", (a, g) => () => { var gru = new ArenaGrad.Nn.GRU(a, 3, 4, numLayers: 2); return [.. gru.Parameters().SelectMany(p => V(p))]; });
        yield return Case("NnLSTMCell", (a, g) => () => { var cell = new ArenaGrad.Nn.LSTMCell(a, 3, 4); return [.. cell.Parameters().SelectMany(p => V(p))]; });
        yield return Case("GRUCellForward", (a, g) => { var cell = new ArenaGrad.Nn.GRUCell(a, 3, 4); var x = M(a, g, 2, 3); var h = M(a, g, 2, 4); return () => V(cell.Forward(x, h)); });
        yield return Case("LSTMCellForward", (a, g) => { var cell = new ArenaGrad.Nn.LSTMCell(a, 3, 4); var x = M(a, g, 3); return () => { var (h, c) = cell.ForwardWithZeroState(x); return [.. V(h), .. V(c)]; }; });
        yield return Case("GRUForward", (a, g) => { var gru = new ArenaGrad.Nn.GRU(a, 3, 4, numLayers: 2, batchFirst: true); var x = M(a, g, 2, 5, 3); return () => { var (o, hn) = gru.Forward(x); return [.. V(o), .. V(hn)]; }; });
        yield return Case("LSTMForward", (a, g) => { var lstm = new ArenaGrad.Nn.LSTM(a, 3, 4, numLayers: 2); var x = M(a, g, 5, 3); var h = M(a, g, 2, 4); var c = M(a, g, 2, 4); return () => { var (o, (hn, cn)) = lstm.Forward(x, (h, c)); return [.. V(o), .. V(hn), .. V(cn)]; }; });
        yield return Case("SgdMomentumStep", (a, g) => OptimizerStep(a, ps => new ArenaGrad.Optim.Sgd(ps, 0.1f, momentum: 0.9f)));
        yield return Case("AdamStep", (a, g) => OptimizerStep(a, ps => new ArenaGrad.Optim.Adam(ps, 0.1f)));
        yield return Case("AdamWAmsgradStep", (a, g) => OptimizerStep(a, ps => new ArenaGrad.Optim.AdamW(ps, 0.1f, amsgrad: true)));
        // gradient flags
        yield return Case("SetRequiresGrad", (a, g) => { var x = M(a, false, 2, 3); return () => { x.SetRequiresGrad(); return [x.RequiresGrad ? 1f : 0f]; }; });
        yield return Case("RetainGradAndZeroGrad", (a, g) => { var x = M(a, true, 3); var y = x * 2f; return () => { y.RetainGrad(); y.ZeroGrad(); return V(y); }; });
        // in place (under no-grad, as an optimizer runs them)
        yield return Case("AddInPlace", (a, g) => { var x = M(a, g, 3); var y = M(a, false, 3); return () => { using (a.NoGrad()) x.AddInPlace(y, 0.5f); return V(x); }; });
        yield return Case("MulInPlace", (a, g) => { var x = M(a, g, 3); return () => { using (a.NoGrad()) x.MulInPlace(3f); return V(x); }; });
        yield return Case("FillInPlace", (a, g) => { var x = M(a, g, 3); return () => { using (a.NoGrad()) x.FillInPlace(3f); return V(x); }; });
        yield return Case("CopyFrom", (a, g) => { var x = M(a, g, 3); var y = M(a, false, 3) * 2f; return () => { using (a.NoGrad()) x.CopyFrom(y); return V(x); }; });
        // backward (inputs always require grad; leaves already hold a gradient, so a retry that double-counted shows)
        yield return Case("BackwardElementwiseChain", (a, _) => Backward(a, x => (x.Exp() * x).Tanh().Sum(), 2, 3));
        yield return Case("BackwardBroadcastMultiply", (a, _) => Backward2(a, (x, y) => (x * y).Sum(), [4, 3], [3]));
        yield return Case("BackwardBroadcastDivide", (a, _) => Backward2(a, (x, y) => (x / y).Mean(), [4, 1], [2, 1, 3]));
        yield return Case("BackwardMatMulLinear", (a, _) => Backward2(a, (x, w) => Functional.Linear(x.MatMul(w.Transpose(0, 1)), w).Sum(), [2, 3], [3, 3]));
        yield return Case("BackwardMseLoss", (a, _) => Backward2(a, (x, y) => Functional.MseLoss(x, y), [3, 5], [3, 5]));
        // convolution and pooling (issue 18)
        yield return Case("Conv2d", (a, g) => { var x = M(a, g, 2, 2, 4, 5); var w = M(a, g, 4, 1, 3, 2); var b = M(a, g, 4); return () => V(Functional.Conv2d(x, w, b, (2, 1), (1, 0), (1, 2), 2)); });
        yield return Case("Conv2dUnbatched", (a, g) => { var x = M(a, g, 2, 4, 5); var w = M(a, g, 3, 2, 2, 2); return () => V(Functional.Conv2d(x, w, null, 1, 1)); });
        yield return Case("Conv1d", (a, g) => { var x = M(a, g, 2, 3, 7); var w = M(a, g, 2, 3, 3); var b = M(a, g, 2); return () => V(Functional.Conv1d(x, w, b, 2, 1, 2)); });
        yield return Case("Unfold", (a, g) => { var x = M(a, g, 1, 2, 4, 4); return () => V(Functional.Unfold(x, 2, 1, 1, 2)); });
        yield return Case("Fold", (a, g) => { var x = M(a, g, 1, 8, 9); return () => V(Functional.Fold(x, (4, 4), (2, 2))); });
        yield return Case("MaxPool2d", (a, g) => { var x = M(a, g, 1, 2, 5, 5); return () => V(Functional.MaxPool2d(x, 3, 2, 1)); });
        yield return Case("AvgPool2d", (a, g) => { var x = M(a, g, 2, 5, 5); return () => V(Functional.AvgPool2d(x, 3, 2, 1)); });
        yield return Case("AdaptiveAvgPool2d", (a, g) => { var x = M(a, g, 1, 2, 5, 7); return () => V(Functional.AdaptiveAvgPool2d(x, (3, 4))); });
        yield return Case("AdaptiveAvgPool2dGlobal", (a, g) => { var x = M(a, g, 1, 2, 5, 7); return () => V(Functional.AdaptiveAvgPool2d(x, (1, 1))); });
        yield return Case("BackwardConv2dPool", (a, _) => Backward2(a, (x, w) => Functional.MaxPool2d(Functional.Conv2d(x.Reshape(1, 1, 2, 2), w.Reshape(3, 1, 1, 1)), 1).Sum(), [2, 2], [1, 3]));
        yield return Case("BackwardCrossEntropy", (a, _) => Backward(a, x => Functional.CrossEntropy(x.Softmax(1) * 3f, [2, 0, 1]), 3, 4));
        yield return Case("BackwardCatReshapeMax", (a, _) => Backward2(a, (x, y) => Functional.Cat([x, y], 1).Reshape(-1).Max(0) + x.Max(), [2, 2], [2, 3]));
        yield return Case("BackwardGruSequence", (a, _) => Backward2(a, (x, h) => Functional.GruCell(Functional.GruCell(x, h, x.Repeat(3, 1), h.Repeat(3, 1) * 0.1f), h, x.Repeat(3, 1), h.Repeat(3, 1)).Sum(), [3, 3], [3, 3]));
        yield return Case("BackwardLstmCell", (a, _) => Backward2(a, (x, h) => { var (hy, cy) = Functional.LstmCell(x, (h, h * 0.5f), x.Repeat(4, 1) * 0.1f, h.Repeat(4, 1)); return (hy * cy).Sum(); }, [3, 3], [3, 3]));
        yield return Case("BackwardWithGradientAndRetain", (a, _) =>
        {
            var x = M(a, true, 2, 3);
            var seed = M(a, false, 2, 3);
            var y = (x * x).LogSoftmax(1);
            return () =>
            {
                y.Backward(seed, retainGraph: true);
                return V(x.Grad!.Value);
            };
        });
        // normalization and attention (issue 18)
        yield return Case("LayerNorm", (a, g) => { var x = M(a, g, 3, 4); var w = M(a, g, 4); var b = M(a, g, 4); return () => V(Functional.LayerNorm(x, [4], w, b)); });
        yield return Case("LayerNormNoAffine", (a, g) => { var x = M(a, g, 2, 3, 4); return () => V(Functional.LayerNorm(x, [3, 4])); });
        yield return Case("BackwardLayerNorm", (a, _) => Backward2(a, (x, w) => (Functional.LayerNorm(x, [3], w, w * 0.5f) * x).Sum(), [4, 3], [3]));
        yield return Case("ScaledDotProductAttention", (a, g) => { var q = M(a, g, 2, 3, 4); var k = M(a, g, 2, 5, 4); var v = M(a, g, 2, 5, 2);
            var mask = a.FromData([true, false, true, true, false, true, true, true, false, true, true, false, true, true, true], [3, 5]);
            return () => V(Functional.ScaledDotProductAttention(q, k, v, mask)); });
        yield return Case("ScaledDotProductAttentionCausal", (a, g) => { var q = M(a, g, 4, 3); return () => V(Functional.ScaledDotProductAttention(q, q, q, isCausal: true)); });
        yield return Case("BackwardScaledDotProductAttention", (a, _) => Backward2(a, (q, k) => Functional.ScaledDotProductAttention(q, k, k * 2f, k.Sum(1).Unsqueeze(0)).Sum(), [3, 4], [5, 4]));
        yield return Case("MultiheadAttention", (a, g) => { var mha = new ArenaGrad.Nn.MultiheadAttention(a, 4, 2); var x = M(a, g, 2, 3, 4);
            var pad = a.FromData([false, false, true, false, true, false], [2, 3]);
            return () => { var (o, w) = mha.Forward(x, x, x, pad); return [.. V(o), .. V(w!.Value)]; }; });
        yield return Case("TransformerEncoderLayer", (a, g) => { var layer = new ArenaGrad.Nn.TransformerEncoderLayer(a, 4, 2, 8, dropout: 0f); var x = M(a, g, 2, 3, 4);
            return () => V(layer.Forward(x)); });
        yield return Case("LayerNormModule", (a, g) => () => { var ln = new ArenaGrad.Nn.LayerNorm(a, [3, 2]); return [.. ln.Parameters().SelectMany(p => V(p))]; });
        // normalization and embeddings (issue 18): the running statistics move only when the op completes
        yield return Case("BatchNormTraining", (a, g) =>
        {
            var x = M(a, g, 4, 3, 2); var w = M(a, g, 3); var b = M(a, g, 3); var mean = M(a, false, 3); var variance = M(a, false, 3);
            return () => [.. V(Functional.BatchNorm(x, mean, variance, w, b, training: true)), .. V(mean), .. V(variance)];
        });
        yield return Case("BatchNormEval", (a, g) =>
        {
            var x = M(a, g, 4, 3); var w = M(a, g, 3); var mean = M(a, false, 3); var variance = M(a, false, 3);
            return () => V(Functional.BatchNorm(x, mean, variance, w, null));
        });
        yield return Case("BatchNorm2dModule", (a, g) => () =>
        {
            var layer = new ArenaGrad.Nn.BatchNorm2d(a, 3);
            return [.. layer.StateDict().SelectMany(e => e.Value.DType == DType.Int32 ? e.Value.ToIntArray().Select(v => (float)v) : V(e.Value))];
        });
        yield return Case("Embedding", (a, g) => { var w = M(a, g, 5, 3); var i = a.FromData([4, 0, 4, 2], [2, 2]); return () => V(Functional.Embedding(i, w, 0)); });
        yield return Case("EmbeddingModule", (a, g) => () => V(new ArenaGrad.Nn.Embedding(a, 6, 2, paddingIdx: -1).Weight));
        yield return Case("BackwardBatchNorm", (a, _) => Backward(a, x => (Functional.BatchNorm(x, null, null, training: true) * x).Sum(), 3, 2, 2));
        yield return Case("BackwardEmbedding", (a, _) => Backward(a, w => (Functional.Embedding(a.FromData([1, 1, 0], [3]), w, 1) * w.Sum()).Sum(), 2, 3));
    }

    /// <summary>Two parameters with gradients; the op makes the optimizer (its state) and takes two steps.</summary>
    private static Func<float[]> OptimizerStep(Arena arena, Func<Tensor[], ArenaGrad.Optim.Optimizer> make)
    {
        Tensor w = M(arena, true, 3, 2), b = M(arena, true, 2);
        (w.Sum() + (b * b).Sum()).Backward();
        return () =>
        {
            ArenaGrad.Optim.Optimizer optimizer = make([w, b]);
            optimizer.Step();
            optimizer.Step();
            return [.. V(w), .. V(b)];
        };
    }

    private static Func<float[]> Backward(Arena arena, Func<Tensor, Tensor> f, params int[] shape)
    {
        Tensor x = M(arena, true, shape);
        f(x).Backward(); // the leaf holds a gradient before the pass under test
        Tensor loss = f(x);
        return () => { loss.Backward(); return V(x.Grad!.Value); };
    }

    private static Func<float[]> Backward2(Arena arena, Func<Tensor, Tensor, Tensor> f, int[] shapeA, int[] shapeB)
    {
        Tensor x = M(arena, true, shapeA), y = M(arena, true, shapeB);
        f(x, y).Backward();
        Tensor loss = f(x, y);
        return () => { loss.Backward(); return [.. V(x.Grad!.Value), .. V(y.Grad!.Value)]; };
    }

    private readonly record struct ArenaState(int Tensors, int Tape, long GradientBytes, ArenaGrad.Memory.FloatStackMark Floats, long Reserved, int Blocks)
    {
        public static ArenaState Of(Arena arena) =>
            new(arena.TensorCount, arena.TapeLength, arena.GradientBytes, arena.FloatMark, arena.ReservedBytes, arena.BlockCount);
    }

    /// <summary>Small blocks make most allocations reserve a new block, so that a failed op must give it back too.</summary>
    private static readonly ArenaOptions[] Configurations =
    [
        new ArenaOptions(),
        new ArenaOptions { BlockBytes = 64 },
    ];

    [TestCaseSource(nameof(Ops))]
    public void Op_FailingAtEachAllocation_LeavesArenaAsItWas_ThenSucceedsWithTheRightResult(OpSetup setup)
    {
        foreach (ArenaOptions options in Configurations)
            foreach (bool grad in (bool[])[false, true])
                CheckAtomic(setup, options, grad);
    }

    /// <summary>Runs the op with its 1st, 2nd, ... allocation failing until it needs no more, checking each
    /// failure left the arena as it was; then compares its result with the same op in a fresh arena.</summary>
    public static int CheckAtomic(OpSetup setup, ArenaOptions options, bool grad)
    {
        float[] expected;
        using (var reference = new Arena(options)) expected = setup(reference, grad)();

        using var arena = new Arena(options);
        Func<float[]> op = setup(arena, grad);
        int failures = 0;
        for (int nth = 1; ; nth++)
        {
            ArenaState before = ArenaState.Of(arena);
            arena.FailAllocation(nth);
            float[] result;
            try
            {
                result = op();
            }
            catch (ArenaCapacityException)
            {
                failures++;
                Assert.That(ArenaState.Of(arena), Is.EqualTo(before),
                    $"(grad {grad}, block bytes {options.BlockBytes}) state after allocation {nth} failed");
                continue;
            }
            finally
            {
                arena.FailAllocation(0);
            }
            Assert.That(result, Is.EqualTo(expected), $"(grad {grad}, block bytes {options.BlockBytes}) result after {failures} failed attempts");
            return failures;
        }
    }

    [Test]
    public void CrossEntropy_UnderCapThatFitsOnlyTheSavedLogProbabilities_LeavesNoSlotBehind()
    {
        // Exactly room for the logits (values + gradient) and the saved [64, 16] log-probabilities, not the loss.
        const int floats = 64 * 16;
        using var arena = new Arena(new ArenaOptions { BlockBytes = 64, MaxBytes = 3 * floats * sizeof(float) });
        Tensor logits = arena.Zeros([64, 16], requiresGrad: true);
        var targets = new int[64];
        ArenaState before = ArenaState.Of(arena);
        Assert.Throws<ArenaCapacityException>(() => Functional.CrossEntropy(logits, targets));
        Assert.That(ArenaState.Of(arena), Is.EqualTo(before));
    }

    [Test]
    public void LossesWithSavedBuffers_AreFoundByTheFaultHook()
    {
        // Guards the table test against a hook that never fires. The losses take their result and saved
        // buffers in one request (NewSlotWithSaved), so each fails exactly once.
        Assert.That(CheckAtomic((a, g) => { var x = M(a, g, 3, 4); int[] t = [0, 3, 1]; return () => V(Functional.CrossEntropy(x, t)); },
            new ArenaOptions(), grad: true), Is.EqualTo(1));
        Assert.That(CheckAtomic((a, g) => { var x = M(a, g, 3); return () => V(Functional.MseLoss(x, x)); },
            new ArenaOptions(), grad: false), Is.EqualTo(1));
    }
}
