using System.Diagnostics;
using System.Runtime.CompilerServices;
using ArenaGrad.Memory;
using ArenaGrad.Nn;

namespace ArenaGrad;

// Warm-up: compiles the engine's code paths while a game loads, so that the first real call in the frame loop
// neither JIT-compiles nor runs slow tier-0 code, and no tier-up lands there later.
public sealed unsafe partial class Arena
{
    /// <summary>How long the JIT must have compiled nothing (process-wide) before warm-up counts it as settled.
    /// Tiered compilation counts calls only after 100 ms without new tier-0 code, then recompiles a method after
    /// 30 calls on a background thread, twice with TieredPGO (instrumented, then optimized). Measured on a loaded
    /// 2-core machine (tools/ArenaGrad.FirstCall): after 250 ms of quiet the optimized tier of W1's methods still
    /// came later, inside the frame loop; after 600 ms none did.</summary>
    private static readonly TimeSpan WarmUpQuietPeriod = TimeSpan.FromMilliseconds(600);

    /// <summary>Upper bound on one warm-up call, settled or not.</summary>
    private static readonly TimeSpan WarmUpTimeLimit = TimeSpan.FromSeconds(3);

    /// <summary>Compiles the engine's hot paths before the first real call: runs every operation, forward and
    /// backward, with and without grad, on small tensors of several lengths (scalar, vector and tail paths, the
    /// direct and packed matrix multiply), over and over until the JIT has compiled nothing for 600 ms (3 s at
    /// most). Call it while loading. Leaves the arena as it found it.</summary>
    /// <returns>How long the warm-up took.</returns>
    /// <remarks>
    /// <para>Under the JIT, .NET compiles a method first without optimization and recompiles it optimized on a
    /// background thread after it has been called 30 times (tiered compilation); until then a call runs several
    /// times slower, and the first call of each method pays for its compilation. After <c>WarmUp</c> the engine's
    /// methods are compiled optimized. Code of your own (a model's <c>Forward</c>) still tiers up in the
    /// background; <see cref="WarmUp(Module, ReadOnlySpan{int})"/> runs it too.</para>
    /// <para>The arena is left unchanged: no tensors, tape entries, gradients, blocks or random numbers are left
    /// behind (<see cref="TensorCount"/>, <see cref="TapeLength"/>, <see cref="ReservedBytes"/> and
    /// <see cref="BlockCount"/> read as before). It may allocate managed memory (the matrix multiply's per-thread
    /// packing buffer is made here, once, instead of on the first large product). Under NativeAOT there is nothing
    /// to compile, and it runs one pass.</para>
    /// <para>With TieredPGO (on by default) every hot method is recompiled twice, instrumented and then optimized,
    /// and on a busy machine the second round can outlast the warm-up. <c>&lt;TieredPGO&gt;false&lt;/TieredPGO&gt;</c>
    /// in the game's project halves the work: measured with tools/ArenaGrad.FirstCall, no method of the frame loop
    /// was compiled after <see cref="WarmUp(Action)"/> returned with it, against 14-50 with the default.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">The tape is not empty (warm-up runs backward passes, which would
    /// touch a recorded graph's gradients), or another thread owns the arena.</exception>
    /// <exception cref="ArenaCapacityException">The arena's cap is too small for the warm-up tensors (about
    /// 300 KB); nothing is changed.</exception>
    public TimeSpan WarmUp() => WarmUpCore(null, default, null);

    /// <summary><see cref="WarmUp()"/>, and also runs <paramref name="model"/> on an input of
    /// <paramref name="inputShape"/> (filled with 0.5): its forward without grad, and forward and backward with
    /// grad when any of its parameters requires grad, and after the rollback its forward once more without grad, so the
    /// first real call runs at steady speed. The parameters' values and gradients are left as they were.</summary>
    /// <param name="model">A model whose parameters live in this arena.</param>
    /// <param name="inputShape">The shape of one real input (e.g. [1, 32] for batch 1).</param>
    /// <returns>How long the warm-up took.</returns>
    /// <exception cref="InvalidOperationException">The tape is not empty, or another thread owns the arena.</exception>
    /// <exception cref="ArgumentException">The model rejects an input of that shape (its own message); nothing is changed.</exception>
    public TimeSpan WarmUp(Module model, ReadOnlySpan<int> inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        return WarmUpCore(model, inputShape, null);
    }

    /// <summary>Warms up exactly your workload: calls <paramref name="step"/> over and over, as <see cref="WarmUp()"/>
    /// runs its own operations, until the JIT has been quiet for 600 ms (3 s at most). Your own code (an inference
    /// call, a forward pass written with <see cref="Functional"/>) is compiled too, so the first real call compiles
    /// nothing; and only the code the step reaches is compiled, so this settles sooner than <see cref="WarmUp()"/>.
    /// Tensors, tape entries and blocks the step makes in this arena are rolled back with the warm-up's own; then the
    /// step runs once more in a scope of its own (measured: without that last run the first real call cost 4-9x the
    /// steady state, with it 1.0-1.7x), whose tensors end with the scope and whose blocks stay reserved for the real
    /// calls. Anything else the step changes stays changed, so pass a step that can run any number of times without
    /// effect (inference, not an optimizer step).</summary>
    /// <param name="step">Called once per warm-up pass, inside a scope.</param>
    /// <returns>How long the warm-up took.</returns>
    /// <exception cref="InvalidOperationException">The tape is not empty, or another thread owns the arena.</exception>
    public TimeSpan WarmUp(Action step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return WarmUpCore(null, default, step);
    }

    private TimeSpan WarmUpCore(Module? model, ReadOnlySpan<int> inputShape, Action? step)
    {
        CheckUse();
        if (_tape.Count != 0)
            throw new InvalidOperationException(
                $"WarmUp runs backward passes and needs an empty tape, but the tape holds {_tape.Count} instructions. Call it while " +
                "loading, before recording any operation (making parameters records nothing), or after the scope that recorded them has ended.");
        long start = Stopwatch.GetTimestamp();
        bool gradEnabled = IsGradEnabled;
        int lastBackwardCount = LastBackwardInstructionCount;
        // Everything a pass makes (tensors, tape, blocks, the random state) is undone at the end, as for a failed op.
        OpMark mark = new(_slotCount, _floats.Mark, _floats.NextBlockSerial, _tape.Count, _operands.Count, _gradientFloats, _random);
        try
        {
            // Nothing to compile ahead of time without a JIT (NativeAOT): one pass fills the per-thread caches.
            if (!RuntimeFeature.IsDynamicCodeCompiled) WarmUpPass(model, inputShape, step);
            else RepeatUntilTheJitIsQuiet(model, inputShape, step, start);
        }
        finally
        {
            RollBack(mark);
            IsGradEnabled = gradEnabled;
            LastBackwardInstructionCount = lastBackwardCount;
        }
        RunOnceMore(model, inputShape, step);
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>Warm-up passes until the JIT has compiled nothing (process-wide) for <see cref="WarmUpQuietPeriod"/>,
    /// or <see cref="WarmUpTimeLimit"/> has passed since <paramref name="start"/>.</summary>
    private void RepeatUntilTheJitIsQuiet(Module? model, ReadOnlySpan<int> inputShape, Action? step, long start)
    {
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        long lastCompile = Stopwatch.GetTimestamp();
        while (true)
        {
            WarmUpPass(model, inputShape, step);
            long now = Stopwatch.GetTimestamp();
            long compiledNow = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            if (compiledNow != compiled)
            {
                compiled = compiledNow;
                lastCompile = now;
            }
            else if (Stopwatch.GetElapsedTime(lastCompile, now) >= WarmUpQuietPeriod) break;
            if (Stopwatch.GetElapsedTime(start, now) >= WarmUpTimeLimit) break;
        }
    }

    /// <summary>The caller's own work once more, after the rollback, in a scope of its own: the step, or the model's
    /// forward without grad (its tensors and tape end with the scope; the random state is put back).</summary>
    /// <remarks>Measured with tools/ArenaGrad.FirstCall (W1 as the step, fresh process): the first call after a
    /// warm-up that ended with its rollback took 4-9x the steady state, even with tiered compilation off (nothing
    /// compiled); after this one pass, 1.0-1.7x. Ending no-grad mode alone, or running other ops, did not do it.</remarks>
    private void RunOnceMore(Module? model, ReadOnlySpan<int> inputShape, Action? step)
    {
        Xoshiro256 random = _random;
        using (Scope())
        {
            if (step is not null) step();
            else if (model is not null)
                using (NoGrad()) model.Forward(Full(inputShape, 0.5f));
        }
        _random = random;
    }

    /// <summary>One pass in a scope of its own: the caller's step alone, or every operation without grad and with (and the model).</summary>
    private void WarmUpPass(Module? model, ReadOnlySpan<int> inputShape, Action? step)
    {
        using (Scope())
        {
            if (step is not null)
            {
                step();
                return;
            }
            // Lengths that reach the scalar path, every vector width's loop, and the tails.
            ReadOnlySpan<int> lengths = [1, 7, 16, 37, 100];
            foreach (int length in lengths)
            {
                using (NoGrad()) WarmUpOps(length, requiresGrad: false);
                using (EnableGrad()) WarmUpOps(length, requiresGrad: true);
            }
            using (NoGrad()) WarmUpLinear(batch: 1, requiresGrad: false);
            using (NoGrad()) WarmUpLinear(batch: 32, requiresGrad: false);
            using (EnableGrad()) WarmUpLinear(batch: 1, requiresGrad: true);
            using (EnableGrad()) WarmUpLinear(batch: 32, requiresGrad: true);
            if (model is not null) WarmUpModel(model, inputShape);
        }
    }

    /// <summary>Every elementwise op, reduction, shape op and loss on [4, length] tensors (one backward when
    /// <paramref name="requiresGrad"/>), and the in-place updates under no-grad.</summary>
    private void WarmUpOps(int length, bool requiresGrad)
    {
        ReadOnlySpan<int> shape = [4, length];
        Tensor x = Full(shape, 0.5f, requiresGrad), y = Full(shape, 2f, requiresGrad);
        Tensor row = Full([length], 1.5f, requiresGrad), column = Full([4, 1], 0.25f, requiresGrad);
        Tensor total = x.Exp() + x.Log() + x.Tanh() + x.Sigmoid() + x.Relu() + x.Sqrt() + x.Abs() + x.Square()
            + x.Pow(1.5f) + x.LeakyRelu() + x.Clamp(0.1f, 0.9f) + (x - y) + (x * y) + (x / y) + (-x)
            + (x + 1f) + (1f + x) + (x - 1f) + (1f - x) + (x * 2f) + (2f * x) + (x / 2f) + (2f / x)
            + (x + row) + (x * row) + (x - column) + (x / column) + (row / x);
        // math (issue 16)
        total += x.Sin() + x.Cos() + x.Log1p() + x.Expm1() + x.Erf() + x.Rsqrt() + x.Reciprocal() + x.Sign() + x.Floor()
            + x.Round() + x.Softplus() + x.Elu() + x.Gelu() + x.Gelu(tanhApproximation: true) + x.Silu() + x.Mish() + x.Hardtanh()
            + Functional.Minimum(x, y) + Functional.Maximum(x, row);
        Tensor reduced = total.Sum() + total.Mean() + total.Max() + total.Sum(1).Sum() + total.Mean(0, keepDim: true).Sum()
            + total.Max(1).Sum() + total.Softmax(1).Sum() + total.LogSoftmax(1).Sum()
            + total.Reshape(-1).Sum() + total.Transpose(0, 1).Sum() + Functional.Cat([x, y], dim: 0).Sum();
        ReadOnlySpan<int> targets = [0, 0, 0, 0];
        Tensor losses = Functional.MseLoss(x, y) + Functional.L1Loss(x, y) + Functional.SmoothL1Loss(x, y)
            + Functional.HuberLoss(x, y) + Functional.BinaryCrossEntropyWithLogits(x, y.Detach() * 0.25f)
            + Functional.NllLoss(total.LogSoftmax(1), targets) + Functional.CrossEntropy(total, targets)
            + Functional.CrossEntropy(total, targets, labelSmoothing: 0.1f);
        Tensor result = reduced + losses;
        if (requiresGrad)
        {
            result.Backward();
            _ = x.Grad!.Value.AsSpanUnsafely()[0] + result.GradFn!.Length;
        }
        _ = result.Item() + result.AsSpanUnsafely()[0] + total.Shape[0] + total.Size(-1) + total.Count + total.Rank;
        using (NoGrad())
        {
            Tensor buffer = Full(shape, 1f);
            buffer.AddInPlace(total.Detach(), 0.5f).MulInPlace(0.5f).CopyFrom(total.Detach());
            buffer.FillInPlace(0f);
        }
    }

    /// <summary>Linear layers and matrix products of the sizes small networks use: batch 1 (matrix-vector), batch 32
    /// (the packed GEMM), with and without bias, and their backward.</summary>
    private void WarmUpLinear(int batch, bool requiresGrad)
    {
        Tensor x = Full([batch, 32], 0.5f);
        Tensor w1 = Full([64, 32], 0.01f, requiresGrad), b1 = Full([64], 0.1f, requiresGrad);
        Tensor w2 = Full([64, 64], 0.01f, requiresGrad), w3 = Full([4, 64], 0.01f, requiresGrad);
        Tensor h = Functional.Linear(Functional.Linear(x, w1, b1).Tanh(), w2).Relu();
        Tensor logits = Functional.Linear(h, w3) + h.MatMul(w3.Transpose(0, 1));
        Tensor result = logits.Sum();
        if (requiresGrad) result.Backward();
    }

    /// <summary>Runs the model forward without grad, and forward and backward with grad if its output requires
    /// grad, putting every parameter's gradient (values and whether it holds one) back afterwards.</summary>
    private void WarmUpModel(Module model, ReadOnlySpan<int> inputShape)
    {
        Tensor input = Full(inputShape, 0.5f);
        using (NoGrad()) model.Forward(input);
        using (EnableGrad())
        {
            Tensor output = model.Forward(input);
            if (!output.RequiresGrad) return;
            var parameters = model.Parameters();
            // Copies on the float stack, which the warm-up's rollback releases.
            int[] slots = new int[parameters.Count];
            bool[] wasLive = new bool[parameters.Count];
            nint[] copies = new nint[parameters.Count];
            for (int i = 0; i < parameters.Count; i++)
            {
                int slot = slots[i] = OwnSlot(parameters[i]);
                if (_rows[slot].Gradient == 0) continue;
                Span<float> gradient = Gradient(slot);
                wasLive[i] = _rows[slot].Has(TensorFlags.GradientLive);
                copies[i] = (nint)_floats.Allocate(Math.Max(gradient.Length, 1));
                gradient.CopyTo(new Span<float>((void*)copies[i], gradient.Length));
            }
            output.Sum().Backward();
            for (int i = 0; i < parameters.Count; i++)
            {
                int slot = slots[i];
                if (copies[i] == 0) continue;
                Span<float> gradient = Gradient(slot);
                new ReadOnlySpan<float>((void*)copies[i], gradient.Length).CopyTo(gradient);
                _rows[slot].Set(TensorFlags.GradientLive, wasLive[i]);
            }
        }
    }
}
