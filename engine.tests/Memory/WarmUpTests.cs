using ArenaGrad.Nn;

namespace ArenaGrad.Tests.Memory;

/// <summary>Arena.WarmUp's observable contract: it leaves the arena exactly as it found it. (How much faster the
/// first call gets is measured by tools/ArenaGrad.FirstCall in a fresh process, not here.)</summary>
public sealed class WarmUpTests
{
    [Test]
    public void WarmUp_LeavesTensorsTapeMemoryAndGradModeAsTheyWere()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        Tensor parameter = arena.Full([3], 2f, requiresGrad: true);
        using (arena.Scope()) (parameter * parameter).Sum().Backward();
        int tensors = arena.TensorCount, tape = arena.TapeLength, blocks = arena.BlockCount, lastBackward = arena.LastBackwardInstructionCount;
        long reserved = arena.ReservedBytes, gradientBytes = arena.GradientBytes;

        using (arena.NoGrad())
        {
            TimeSpan elapsed = arena.WarmUp();
            Assert.That(elapsed, Is.GreaterThan(TimeSpan.Zero));
            Assert.That(arena.IsGradEnabled, Is.False, "grad mode is put back");
        }

        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
        Assert.That(arena.BlockCount, Is.EqualTo(blocks));
        Assert.That(arena.ReservedBytes, Is.EqualTo(reserved));
        Assert.That(arena.GradientBytes, Is.EqualTo(gradientBytes));
        Assert.That(arena.LastBackwardInstructionCount, Is.EqualTo(lastBackward));
        Assert.That(parameter.Grad!.Value.ToArray(), Is.EqualTo(new[] { 4f, 4f, 4f }), "an existing gradient is untouched");
    }

    [Test]
    public void WarmUp_InASmallArena_ReleasesTheBlocksItNeeded()
    {
        // 4 KB blocks: the warm-up's tensors need several new blocks, which must all be given back.
        using var arena = new Arena(new ArenaOptions { BlockBytes = 4096 });
        arena.Zeros([8]);
        int blocks = arena.BlockCount;
        long reserved = arena.ReservedBytes;
        arena.WarmUp();
        Assert.That(arena.BlockCount, Is.EqualTo(blocks));
        Assert.That(arena.ReservedBytes, Is.EqualTo(reserved));
    }

    [Test]
    public void WarmUp_WithModel_KeepsParameterGradientsAndTheRandomStream()
    {
        using var warmed = new Arena(new ArenaOptions { Seed = 11 });
        using var cold = new Arena(new ArenaOptions { Seed = 11 });
        Sequential Model(Arena arena) => new(new Linear(arena, 3, 5), new Dropout(0.5f), new Tanh(), new Linear(arena, 5, 2));
        Sequential warmedModel = Model(warmed), coldModel = Model(cold);
        Tensor input = warmed.Full([2, 3], 0.3f);
        using (warmed.Scope()) warmedModel.Forward(input).Sum().Backward();
        Tensor firstWeight = warmedModel.Parameters()[0], lastBias = warmedModel.Parameters()[^1];
        float[] weightGradient = firstWeight.Grad!.Value.ToArray();
        lastBias.ZeroGrad();
        // The cold arena draws the same numbers (the forward above used dropout in both runs' order).
        Tensor coldInput = cold.Full([2, 3], 0.3f);
        using (cold.Scope()) coldModel.Forward(coldInput).Sum().Backward();

        warmed.WarmUp(warmedModel, [2, 3]);

        Assert.That(firstWeight.Grad!.Value.ToArray(), Is.EqualTo(weightGradient), "gradient values put back");
        Assert.That(lastBias.Grad, Is.Null, "a gradient set to None stays None");
        Assert.That(warmed.Randn([4]).ToArray(), Is.EqualTo(cold.Randn([4]).ToArray()), "dropout's draws during warm-up are undone");
    }

    [Test]
    public void WarmUpWithStep_CallsTheStepAndRollsBackTheTensorsItMade()
    {
        using var arena = new Arena();
        Tensor x = arena.Full([4], 0.5f);
        int calls = 0, tensors = arena.TensorCount;
        arena.WarmUp(() =>
        {
            calls++;
            Assert.That((x * 2f).Tanh().ToArray()[0], Is.EqualTo(MathF.Tanh(1f)).Within(1e-6f));
        });
        Assert.That(calls, Is.GreaterThan(0));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(arena.TapeLength, Is.Zero);
    }

    [Test]
    public void WarmUpWithStep_ThatDrawsRandomNumbers_LeavesTheGeneratorWhereItWas()
    {
        using var warmed = new Arena(new ArenaOptions { Seed = 11 });
        using var cold = new Arena(new ArenaOptions { Seed = 11 });
        int calls = 0;
        warmed.WarmUp(() => { calls++; _ = warmed.Randn([8]).Sum().Item(); });
        Assert.That(calls, Is.GreaterThan(1), "the passes, then one more after the rollback");
        Assert.That(warmed.Randn([4]).ToArray(), Is.EqualTo(cold.Randn([4]).ToArray()));
        Assert.That(warmed.TensorCount, Is.EqualTo(cold.TensorCount));
    }

    [Test]
    public void WarmUp_WithRecordedOperations_ThrowsAndChangesNothing()
    {
        using var arena = new Arena();
        Tensor x = arena.Ones([2], requiresGrad: true);
        Tensor y = x * 3f;
        int tensors = arena.TensorCount;
        var error = Assert.Throws<InvalidOperationException>(() => arena.WarmUp());
        Assert.That(error!.Message, Does.Contain("empty tape").And.Contain("holds 1 instructions"));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        y.Backward(arena.Ones([2]));
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 3f, 3f }));
    }

    [Test]
    public void WarmUp_WithModelOfWrongInputShape_ThrowsTheModelsErrorAndChangesNothing()
    {
        using var arena = new Arena();
        var model = new Linear(arena, 3, 2);
        int tensors = arena.TensorCount;
        long reserved = arena.ReservedBytes;
        Assert.Throws<ArgumentException>(() => arena.WarmUp(model, [1, 4]));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(arena.ReservedBytes, Is.EqualTo(reserved));
        Assert.That(arena.TapeLength, Is.Zero);
    }

    [Test]
    public void FirstTrainingStepAfterWarmUp_AllocatesNoManagedBytes()
    {
        // No warm-up by the test itself: the very first step after WarmUp is measured (caches such as the matrix
        // multiply's packing buffer are made during WarmUp, not in the step).
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        var model = new Mlp(arena, [32, 64, 64, 4]);
        Tensor input = arena.Full([32, 32], 0.1f);
        arena.WarmUp(model, [32, 32]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (arena.Scope()) model.Forward(input).Sum().Backward();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }
}
