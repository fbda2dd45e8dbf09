namespace ArenaGrad.Tests.Reliability;

/// <summary>Ops that give a new slot the shape of an existing one pass the arena's own shape storage; when that slot is
/// the one that makes the tensor table grow, the storage moves under them. Every such op, at every growth.</summary>
[TestFixture]
public sealed class SlotGrowthTests
{
    private static readonly (string Name, Func<Tensor, Tensor> Op)[] SameShapeOps =
    [
        ("Lt (comparison)", x => x.Lt(0f)),
        ("LogicalNot", x => x.Lt(0f).LogicalNot()),
        ("To(Int32)", x => x.To(DType.Int32)),
        ("Reshape to its own shape", x => x.Reshape(3, 5)),
        ("RetainGrad", x => { Tensor y = x * 1f; y.RetainGrad(); return y; }),
    ];

    private static IEnumerable<TestCaseData> Ops() => SameShapeOps.Select(c => new TestCaseData(c.Op).SetArgDisplayNames(c.Name));

    [TestCaseSource(nameof(Ops))]
    public void SameShapeResult_AcrossEveryTableGrowth_KeepsTheShape(Func<Tensor, Tensor> op)
    {
        using var arena = new Arena();
        Tensor x = arena.Uniform([3, 5], -1f, 1f, requiresGrad: true);   // slot 0: the first row of the shape storage
        while (arena.TensorCount < 5000)
        {
            Tensor y = op(x);
            Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 5 }), $"at {arena.TensorCount} tensors");
        }
    }
}
