using System.Runtime.CompilerServices;

namespace ArenaGrad.Tests.Reliability;

/// <summary>Generations are 64-bit, so a released handle can never become valid again by the counter wrapping.</summary>
public sealed class GenerationTests
{
    [Test]
    public void ReleasedHandle_AfterTwoToThe32MoreCreations_StaysReleased()
    {
        using var arena = new Arena();
        Tensor stale;
        using (arena.Scope()) stale = arena.Full([2], 7f);
        ulong released = arena.NextGeneration - 1;
        // The same slot made again exactly 2^32 generations later: a 32-bit counter would give it the stale
        // handle's generation, and the stale handle would read the new tensor.
        arena.NextGeneration = released + (1UL << 32);
        Tensor fresh = arena.Full([2], 3f);
        Assert.That(stale.IsAlive, Is.False);
        Assert.That(fresh.IsAlive, Is.True);
        Assert.That(stale.Equals(fresh), Is.False);
        var error = Assert.Throws<InvalidOperationException>(() => stale.ToArray());
        Assert.That(error!.Message, Does.Contain("was released"));
        Assert.That(fresh.ToArray(), Is.EqualTo(new[] { 3f, 3f }));
    }

    [Test]
    public void Generations_CrossingTwoToThe32_KeepEveryHandleDistinctAndLive()
    {
        using var arena = new Arena();
        arena.NextGeneration = uint.MaxValue - 2;
        var tensors = new Tensor[6];
        for (int i = 0; i < tensors.Length; i++) tensors[i] = arena.Full([1], i, requiresGrad: i % 2 == 0);
        for (int i = 0; i < tensors.Length; i++)
        {
            Assert.That(tensors[i].IsAlive, Is.True);
            Assert.That(tensors[i].Item(), Is.EqualTo((float)i));
        }
        Tensor sum = (tensors[0] + tensors[2]) * tensors[4];
        sum.Backward();
        Assert.That(tensors[0].Grad!.Value.Item(), Is.EqualTo(4f));
        Assert.That(arena.NextGeneration, Is.GreaterThan((ulong)uint.MaxValue));
    }

    [Test]
    public void TensorHandle_IsTwentyFourBytes()
    {
        // Arena reference (8) + slot (4) + 64-bit generation (8), padded to 24. Pinned so a layout change is noticed.
        Assert.That(Unsafe.SizeOf<Tensor>(), Is.EqualTo(24));
    }
}
