namespace ArenaGrad.Tests.Reliability;

/// <summary>Backward reserves all the scratch its rules need before it writes any gradient, so hitting the cap
/// refuses the pass cleanly and a retry gives exactly one pass's gradient.</summary>
public sealed class BackwardCapacityTests
{
    private const int Rows = 64, Columns = 64;

    /// <summary>x [64, 64] times a broadcast row b [64]: both rules reduce a [64, 64] product, which takes scratch.</summary>
    private static (Tensor X, Tensor B) Parameters(Arena arena)
    {
        var xv = new float[Rows * Columns];
        var bv = new float[Columns];
        for (int i = 0; i < xv.Length; i++) xv[i] = (i % 13) * 0.125f - 0.5f;
        for (int i = 0; i < bv.Length; i++) bv[i] = (i % 5) * 0.5f + 0.25f;
        return (arena.FromData(xv, [Rows, Columns], requiresGrad: true), arena.FromData(bv, requiresGrad: true));
    }

    private static Tensor Loss(Tensor x, Tensor b) => ((x * b).Tanh() * b).Sum();

    [Test]
    public void Backward_WhenScratchDoesNotFitUnderCap_ThrowsBeforeTouchingAnyGradient_AndRetryGivesOnePass()
    {
        float[] expectedX, expectedB;
        using (var reference = new Arena())
        {
            var (x, b) = Parameters(reference);
            Loss(x, b).Backward();
            expectedX = x.Grad!.Value.ToArray();
            expectedB = b.Grad!.Value.ToArray();
        }

        // Blocks of exactly what is asked, so the cap can be set to the byte.
        long forwardBytes;
        using (var probe = new Arena(new ArenaOptions { BlockBytes = 64 }))
        {
            var (x, b) = Parameters(probe);
            Tensor loss = Loss(x, b);
            using (probe.Scope()) _ = probe.Zeros([2 * Rows * Columns]); // the scratch's future block, kept after the scope
            forwardBytes = probe.ReservedBytes - 2L * Rows * Columns * sizeof(float);
            GC.KeepAlive(loss);
        }

        using var arena = new Arena(new ArenaOptions { BlockBytes = 64, MaxBytes = forwardBytes + 2L * Rows * Columns * sizeof(float) });
        var (px, pb) = Parameters(arena);
        using (arena.Scope())
        {
            Tensor loss = Loss(px, pb);
            Tensor hidden;
            using (arena.Scope())
            {
                // Ballast in an inner scope takes the room the scratch needs.
                _ = arena.Zeros([2 * Rows * Columns]);
                hidden = loss; // the graph itself lives in the outer scope
                int tensors = arena.TensorCount, tape = arena.TapeLength;
                long gradientBytes = arena.GradientBytes, reserved = arena.ReservedBytes;
                var error = Assert.Throws<ArenaCapacityException>(() => loss.Backward());
                Assert.That(error!.RequestedBytes, Is.EqualTo(2L * Rows * Columns * sizeof(float)), "two [64, 64] products of scratch");
                Assert.That(px.Grad, Is.Null, "no leaf gradient written");
                Assert.That(pb.Grad, Is.Null, "no leaf gradient written");
                Assert.That((arena.TensorCount, arena.TapeLength, arena.GradientBytes, arena.ReservedBytes),
                    Is.EqualTo((tensors, tape, gradientBytes, reserved)));
                Assert.That(arena.LastBackwardInstructionCount, Is.Zero);
            }
            // The ballast is gone: the same graph (not freed by the failed pass) now runs once.
            hidden.Backward();
            Assert.That(px.Grad!.Value.ToArray(), Is.EqualTo(expectedX));
            Assert.That(pb.Grad!.Value.ToArray(), Is.EqualTo(expectedB));
            Assert.Throws<InvalidOperationException>(() => hidden.Backward(), "the successful pass freed the graph");
        }
    }

    [Test]
    public void Backward_FaultAtScratchReservation_LeavesAccumulatedGradientsAndRetainedGradsUntouched()
    {
        using var arena = new Arena();
        var (x, b) = Parameters(arena);
        Tensor product = x * b;
        product.RetainGrad();
        Tensor loss = (product.Tanh() * b).Sum();
        loss.Backward(retainGraph: true);
        float[] gradX = x.Grad!.Value.ToArray(), gradB = b.Grad!.Value.ToArray(), gradProduct = product.Grad!.Value.ToArray();

        arena.FailAllocation(1);
        Assert.Throws<ArenaCapacityException>(() => loss.Backward(retainGraph: true));
        arena.FailAllocation(0);
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(gradX));
        Assert.That(b.Grad!.Value.ToArray(), Is.EqualTo(gradB));
        Assert.That(product.Grad!.Value.ToArray(), Is.EqualTo(gradProduct), "a retained non-leaf gradient is not cleared either");

        loss.Backward();
        float[] twice = x.Grad!.Value.ToArray();
        for (int i = 0; i < twice.Length; i++) Assert.That(twice[i], Is.EqualTo(2 * gradX[i]).Within(1e-5f), $"x.grad[{i}] after two passes");
    }

    [Test]
    public void Backward_InPlaceChangeFound_RefusesBeforeWritingAnyGradient()
    {
        using var arena = new Arena();
        Tensor x = arena.Ones([3], requiresGrad: true), w = arena.Full([3], 2f, requiresGrad: true);
        Tensor y = x.Exp();
        Tensor loss = (y * w).Sum() + x.Sum();
        y.Detach().MulInPlace(2f);
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(w.Grad, Is.Null, "MulBackward0 comes before ExpBackward0 in the pass, yet nothing was written");
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void Backward_NoRuleNeedsScratch_ReservesNothing()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 64 });
        Tensor x = arena.Ones([100], requiresGrad: true);
        Tensor loss = (x * x).Tanh().Sum();
        long reserved = arena.ReservedBytes;
        loss.Backward();
        Assert.That(arena.ReservedBytes, Is.EqualTo(reserved));
    }
}
