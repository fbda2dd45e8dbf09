using ArenaGrad.Capture;

namespace ArenaGrad.Tests.Capture;

/// <summary>Fused replays: a Linear with its bias and the elementwise ops after it, and chains of elementwise ops, run as
/// one pass each, and every tensor of the step still holds bitwise its eager value.</summary>
[TestFixture]
public sealed class CaptureFusionTests
{
    [Test]
    public void MlpForward_FusesBiasAndActivationIntoEachLinear_AndIsBitwiseEager()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor w1 = arena.Randn([64, 32]), b1 = arena.Randn([64]), w2 = arena.Randn([64, 64]), b2 = arena.Randn([64]);
        Tensor w3 = arena.Randn([4, 64]), b3 = arena.Randn([4]);
        Tensor hidden1 = default, hidden2 = default;
        Tensor Forward(Tensor x)
        {
            hidden1 = Functional.Linear(x, w1, b1).Tanh();
            hidden2 = (Functional.Linear(hidden1, w2, b2).Relu() * 0.5f).Sigmoid();
            return Functional.Linear(hidden2, w3, b3);
        }
        using CapturedStep step = arena.Capture(arena.Randn([5, 32]), Forward);
        Assert.That(step.OpCount, Is.EqualTo(7));
        Assert.That(step.FusedStepCount, Is.EqualTo(3));
        Tensor capturedHidden1 = hidden1, capturedHidden2 = hidden2;

        Tensor fresh = arena.Randn([5, 32]);
        Tensor output = step.Run(fresh);
        Tensor eager = Forward(fresh);
        Assert.That(Bits(output), Is.EqualTo(Bits(eager)));
        Assert.That(Bits(capturedHidden1), Is.EqualTo(Bits(hidden1)), "every tensor of a fused chain is written");
        Assert.That(Bits(capturedHidden2), Is.EqualTo(Bits(hidden2)));
    }

    [Test]
    public void LongElementwiseChain_RunsAsOnePassAcrossSlices_AndIsBitwiseEager()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 9 });
        Tensor Chain(Tensor x) => ((x * 1.5f).Tanh().Exp() - 0.25f).Clamp(-0.5f, 2.5f).Sqrt().Pow(1.7f).LeakyRelu(0.2f) / 3f;
        using CapturedStep step = arena.Capture(arena.Randn([3, 10_001]), Chain); // 30,003 floats: slices and a tail
        Assert.That(step.FusedStepCount, Is.EqualTo(1));
        Tensor fresh = arena.Randn([3, 10_001], std: 3f);
        Assert.That(Bits(step.Run(fresh)), Is.EqualTo(Bits(Chain(fresh))));
    }

    [Test]
    public void ChainThatReadsAnEarlierTensor_IsNotFused_AndIsBitwiseEager()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 10 });
        Tensor Program(Tensor x)
        {
            Tensor a = x.Exp();
            Tensor b = a.Tanh();
            return b + a; // binary: ends the chain
        }
        using CapturedStep step = arena.Capture(arena.Randn([100]), Program);
        Assert.That(step.FusedStepCount, Is.EqualTo(2));
        Tensor fresh = arena.Randn([100]);
        Assert.That(Bits(step.Run(fresh)), Is.EqualTo(Bits(Program(fresh))));
    }

    private static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
