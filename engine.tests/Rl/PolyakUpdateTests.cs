using System.Runtime.CompilerServices;
using System.Text.Json;
using ArenaGrad.Nn;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Rl;

[NonParallelizable] // the zero-allocation test measures the process's allocations
public sealed class PolyakUpdateTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        RlGolden.Cases("polyak.json").Select((c, i) => new TestCaseData(c).SetArgDisplayNames($"case{i}_tau{c.GetProperty("tau").GetDouble()}"));

    [TestCaseSource(nameof(Cases))]
    public void PolyakUpdate_MatchesCleanRlsTargetUpdateInPyTorch_Bitwise(JsonElement c)
    {
        using var arena = new Arena();
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(RlGolden.Ints).ToArray();
        var targets = c.GetProperty("targets").EnumerateArray().Select((t, i) => arena.FromData(RlGolden.Floats(t), shapes[i], requiresGrad: true)).ToArray();
        var sources = c.GetProperty("sources").EnumerateArray().Select((s, i) => arena.FromData(RlGolden.Floats(s), shapes[i])).ToArray();

        Functional.PolyakUpdate(targets, sources, c.GetProperty("tau").GetSingle()); // grad mode on: target networks' parameters require grad

        var results = c.GetProperty("results").EnumerateArray().Select(RlGolden.Floats).ToArray();
        for (int i = 0; i < targets.Length; i++)
            Assert.That(targets[i].ToArray(), Is.EqualTo(results[i]), $"target {i}: the same two float32 products and sum as PyTorch");
    }

    [Test]
    public void PolyakUpdate_TauOneCopies_TauZeroKeeps_AndVersionsBump()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 4 });
        var online = new Linear(arena, 3, 2);
        var target = new Linear(arena, 3, 2);
        float[] before = target.Weight.ToArray();
        Functional.PolyakUpdate(target.Parameters(), online.Parameters(), 0f);
        Assert.That(target.Weight.ToArray(), Is.EqualTo(before));
        Functional.PolyakUpdate(target.Parameters(), online.Parameters(), 1f);
        Assert.That(target.Weight.ToArray(), Is.EqualTo(online.Weight.ToArray()));
        Assert.That(target.Bias!.Value.ToArray(), Is.EqualTo(online.Bias!.Value.ToArray()));

        // A graph that read the target's old values refuses to run backward, as after any in-place change.
        Tensor loss = (target.Weight * target.Weight).Sum(); // mul's backward reads the weight
        Functional.PolyakUpdate(target.Parameters(), online.Parameters(), 0.5f);
        Assert.That(() => loss.Backward(), Throws.InvalidOperationException.With.Message.Contains("modified by an inplace operation"));
    }

    [Test]
    public void PolyakUpdate_Refusals_ThrowAndUpdateNothing()
    {
        using var arena = new Arena();
        Tensor a = arena.Zeros([2, 3]), b = arena.Zeros([4]);
        Tensor sa = arena.Ones([2, 3]), sb = arena.Ones([2, 2]);
        Assert.Multiple(() =>
        {
            Assert.That(() => Functional.PolyakUpdate([a, b], [sa], 0.5f),
                Throws.ArgumentException.With.Message.StartsWith("Tensor lists must have the same number of tensors, got 2 and 1"));
            // The first pair is fine, the second is not: the first must not have been updated.
            Assert.That(() => Functional.PolyakUpdate([a, b], [sa, sb], 0.5f),
                Throws.ArgumentException.With.Message.StartsWith("PolyakUpdate expects target[1] and source[1] to have the same shape, but got [4] and [2, 2]."));
            Assert.That(() => Functional.PolyakUpdate([a, arena.Zeros([4], DType.Int32)], [sa, arena.Zeros([4], DType.Int32)], 0.5f),
                Throws.ArgumentException.With.Message.StartsWith("PolyakUpdate expects Float32 tensors, but target[1] is Int32 and source[1] is Int32."));
            Assert.That(() => Functional.PolyakUpdate([a], [sa], 1.5f),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.StartsWith("Expected tau in [0, 1], but got 1.5."));
            Assert.That(() => Functional.PolyakUpdate([a], [sa], float.NaN),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.StartsWith("Expected tau in [0, 1], but got nan."));
        });
        Assert.That(a.ToArray(), Is.All.Zero);
        Assert.That(b.ToArray(), Is.All.Zero);
    }

    [Test]
    public void PolyakUpdate_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 6 });
        var online = new Mlp(arena, [4, 64, 64, 2]);
        var target = new Mlp(arena, [4, 64, 64, 2]);
        IReadOnlyList<Tensor> targetParameters = target.Parameters(), onlineParameters = online.Parameters();
        Assert.That(() => Update(targetParameters, onlineParameters), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Update(IReadOnlyList<Tensor> target, IReadOnlyList<Tensor> source) => Functional.PolyakUpdate(target, source, 0.005f);
}
