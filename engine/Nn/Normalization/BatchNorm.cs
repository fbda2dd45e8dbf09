namespace ArenaGrad.Nn;

/// <summary>What <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> share (PyTorch's <c>_BatchNorm</c>): parameters
/// <c>weight</c> (ones) and <c>bias</c> (zeros) when affine; buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones)
/// and <c>num_batches_tracked</c> when tracking running statistics. In <see cref="Module.Train"/> mode the batch's statistics
/// normalize and the running ones move by <see cref="Momentum"/> (the counter adds 1); in <see cref="Module.Eval"/> mode the
/// running statistics normalize. Without tracking, batch statistics are used in both modes.</summary>
/// <remarks><c>num_batches_tracked</c> is int64 in PyTorch; here it is an Int32 0-d tensor, which counts up to 2^31 − 1
/// batches and then stays there. Safetensors saves it as I64 and loads I64 or I32, so checkpoints move both ways. A state
/// dict without it loads and sets it to 0, as PyTorch does for a state dict without version metadata.</remarks>
public abstract class BatchNormBase : Module
{
    /// <summary>Makes the parameters and buffers in <paramref name="arena"/>, outside any scope.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    private protected BatchNormBase(Arena arena, int numFeatures, float eps, float momentum, bool affine, bool trackRunningStats, string name)
    {
        ThrowIfScopeOpen(arena, name);
        using OpTransaction op = arena.BeginOp(); // every tensor, or none
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        if (affine)
        {
            Weight = RegisterParameter("weight", arena.Ones([numFeatures], requiresGrad: true));
            Bias = RegisterParameter("bias", arena.Zeros([numFeatures], requiresGrad: true));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", arena.Zeros([numFeatures]));
            RunningVar = RegisterBuffer("running_var", arena.Ones([numFeatures]));
            // PyTorch fills a missing num_batches_tracked with 0 when the state dict has no version metadata (a plain dict)
            NumBatchesTracked = RegisterBufferZeroIfMissing("num_batches_tracked", arena.Zeros([], DType.Int32));
        }
        else
        {
            RegisterBuffer("running_mean", null);
            RegisterBuffer("running_var", null);
            RegisterBuffer("num_batches_tracked", null);
        }
        op.Commit();
    }

    /// <summary>C, the channels (dim 1 of the input).</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public float Eps { get; }

    /// <summary>How far the running statistics move towards each batch's.</summary>
    public float Momentum { get; }

    /// <summary>Whether the module has <c>weight</c> and <c>bias</c>.</summary>
    public bool Affine { get; }

    /// <summary>Whether the module keeps running statistics (and uses them in eval mode).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ [C] (<c>weight</c>), or null without affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>β [C] (<c>bias</c>), or null without affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>The running mean [C] (<c>running_mean</c>), or null without tracking.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The running (unbiased) variance [C] (<c>running_var</c>), or null without tracking.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Training batches seen (<c>num_batches_tracked</c>, an Int32 0-d tensor), or null without tracking.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Throws PyTorch's message unless the input has a rank this layer takes.</summary>
    private protected abstract void CheckInputDim(Tensor input);

    /// <summary>The normalized input (<c>F.batch_norm</c> with this module's buffers and mode).</summary>
    /// <exception cref="ArgumentException">A rank this layer does not take, a channel count other than C, or one value per
    /// channel in training (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input)
    {
        CheckInputDim(input);
        bool batchStatistics = IsTraining || !TrackRunningStats;
        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, batchStatistics, Momentum, Eps,
            IsTraining && TrackRunningStats ? NumBatchesTracked : null);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={PythonFloat.Repr(Eps)}, momentum={PythonFloat.Repr(Momentum)}, affine={(Affine ? "True" : "False")}, " +
        $"track_running_stats={(TrackRunningStats ? "True" : "False")}";
}

/// <summary><c>nn.BatchNorm1d</c>: batch normalization over [N, C] or [N, C, L] (see <see cref="BatchNormBase"/>).</summary>
public sealed class BatchNorm1d : BatchNormBase
{
    /// <summary>A batch norm over <paramref name="numFeatures"/> channels, made in <paramref name="arena"/> outside any scope.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    public BatchNorm1d(Arena arena, int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(arena, numFeatures, eps, momentum, affine, trackRunningStats, nameof(BatchNorm1d))
    {
    }

    private protected override void CheckInputDim(Tensor input)
    {
        int rank = input.Rank;
        if (rank != 2 && rank != 3) throw new ArgumentException($"expected 2D or 3D input (got {rank}D input)", nameof(input));
    }
}

/// <summary><c>nn.BatchNorm2d</c>: batch normalization over [N, C, H, W] (see <see cref="BatchNormBase"/>).</summary>
public sealed class BatchNorm2d : BatchNormBase
{
    /// <summary>A batch norm over <paramref name="numFeatures"/> channels, made in <paramref name="arena"/> outside any scope.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    public BatchNorm2d(Arena arena, int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(arena, numFeatures, eps, momentum, affine, trackRunningStats, nameof(BatchNorm2d))
    {
    }

    private protected override void CheckInputDim(Tensor input)
    {
        int rank = input.Rank;
        if (rank != 4) throw new ArgumentException($"expected 4D input (got {rank}D input)", nameof(input));
    }
}
