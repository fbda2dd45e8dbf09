using ArenaGrad.Capture;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Ops;

/// <summary>The views and shape ops of issue 16 where golden programs cannot say it: which results share values and
/// which copy, dtypes and grad_fn names (PyTorch 1.13's, checked with Debian's torch), bit-exact moves of every element
/// pattern, the piece counts of split and chunk, the 0-B span overloads, all-or-nothing splits, and captured replays.</summary>
public sealed class ShapeOpsTests
{
    private Arena _arena = null!;

    [SetUp]
    public void SetUp() => _arena = new Arena();

    [TearDown]
    public void TearDown() => _arena.Dispose();

    private Tensor Leaf(params int[] shape) =>
        _arena.FromData(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(i => i + 0.5f).ToArray(), shape, requiresGrad: true);

    [Test]
    public void GradFnNames_ArePyTorchs()
    {
        Tensor x = Leaf(3, 4);
        Assert.Multiple(() =>
        {
            Assert.That(x.Narrow(1, 1, 2).GradFn, Is.EqualTo("SliceBackward0"));
            Assert.That(x.Slice(0, 0, 3, 2).GradFn, Is.EqualTo("SliceBackward0"));
            Assert.That(x.Select(1, 2).GradFn, Is.EqualTo("SelectBackward0"));
            Assert.That(x.Permute(1, 0).GradFn, Is.EqualTo("PermuteBackward0"));
            Assert.That(x.Unsqueeze(1).GradFn, Is.EqualTo("UnsqueezeBackward0"));
            Assert.That(x.Squeeze().GradFn, Is.EqualTo("SqueezeBackward0"));
            Assert.That(x.Squeeze(0).GradFn, Is.EqualTo("SqueezeBackward1"));
            Assert.That(x.Expand(2, 3, 4).GradFn, Is.EqualTo("ExpandBackward0"));
            Assert.That(x.Flatten().GradFn, Is.EqualTo("ReshapeAliasBackward0"));
            Assert.That(x.Repeat(2, 1).GradFn, Is.EqualTo("RepeatBackward0"));
            Assert.That(Functional.Stack([x, x]).GradFn, Is.EqualTo("StackBackward0"));
            Assert.That(x.Split(2).Select(p => p.GradFn), Is.All.EqualTo("SplitBackward0"));
            Assert.That(x.Chunk(3).Select(p => p.GradFn), Is.All.EqualTo("SplitBackward0"));
            Assert.That(x.Split([1, 2]).Select(p => p.GradFn), Is.All.EqualTo("SplitWithSizesBackward0"));
            Assert.That(Leaf(0, 2).Chunk(2).Select(p => p.GradFn), Is.All.EqualTo("SplitWithSizesBackward0"), "chunk of an empty dim");
        });
    }

    [Test]
    public void Flatten_OfOneDim_IsTheTensorItself_AndOfAScalar_IsShape1()
    {
        Tensor x = Leaf(2, 3);
        Tensor same = x.Flatten(1, -1);
        Assert.That(same, Is.EqualTo(x), "torch returns self when start_dim == end_dim");
        Assert.That(same.GradFn, Is.Null);
        Tensor s = _arena.Scalar(2f, requiresGrad: true);
        Assert.That(s.Flatten().Shape.ToArray(), Is.EqualTo(new[] { 1 }));
        Assert.That(s.Flatten(0, -1).GradFn, Is.EqualTo("ReshapeAliasBackward0"));
    }

    [Test]
    public void UnsqueezeSqueezeFlatten_ShareValues_TheOthersCopy()
    {
        Tensor x = _arena.FromData([1f, 2f, 3f, 4f, 5f, 6f], [2, 3, 1]);
        Tensor[] views = [x.Unsqueeze(0), x.Squeeze(), x.Squeeze(2), x.Flatten()];
        Tensor[] copies = [x.Narrow(0, 0, 1), x.Select(0, 0), x.Slice(1, 0, 3), x.Permute(0, 1, 2), x.Expand(2, 3, 1),
            x.Repeat(1, 1, 1), Functional.Stack([x]), x.Split(1)[0], x.Chunk(1)[0], x.Split([2])[0]];
        x.MulInPlace(10f);
        foreach (Tensor v in views) Assert.That(v.ToArray()[0], Is.EqualTo(10f), "a view sees the in-place change");
        foreach (Tensor c in copies) Assert.That(c.ToArray()[0], Is.EqualTo(1f), "a copy keeps the old value");
    }

    [Test]
    public void EveryOp_KeepsInt32AndBool_BitForBit()
    {
        // -1 and 2139095041 are NaN bit patterns as floats; they must come through unchanged.
        int[] values = [-1, int.MaxValue, int.MinValue, 0, 2139095041, -4194303];
        foreach (DType dtype in new[] { DType.Int32, DType.Bool })
        {
            int[] data = dtype == DType.Bool ? values.Select(v => v & 1).ToArray() : values;
            Tensor x = dtype == DType.Bool ? _arena.FromData(data.Select(v => v != 0).ToArray(), [2, 3]) : _arena.FromData(data, [2, 3]);
            (Tensor Result, int[] Expected)[] cases =
            [
                (x.Narrow(1, 1, 2), [data[1], data[2], data[4], data[5]]),
                (x.Select(0, 1), [data[3], data[4], data[5]]),
                (x.Slice(1, 0, 3, 2), [data[0], data[2], data[3], data[5]]),
                (x.Permute(1, 0), [data[0], data[3], data[1], data[4], data[2], data[5]]),
                (x.Unsqueeze(1), data),
                (x.Unsqueeze(0).Squeeze(), data),
                (x.Unsqueeze(0).Squeeze(0), data),
                (x.Select(1, 0).Unsqueeze(0).Expand(2, 2), [data[0], data[3], data[0], data[3]]),
                (x.Flatten(), data),
                (x.Select(0, 0).Repeat(2), [data[0], data[1], data[2], data[0], data[1], data[2]]),
                (Functional.Stack([x.Select(0, 0), x.Select(0, 1)], 1), [data[0], data[3], data[1], data[4], data[2], data[5]]),
                (x.Split(2, 1)[1], [data[2], data[5]]),
                (x.Chunk(2, 0)[1], [data[3], data[4], data[5]]),
                (x.Split([1, 2], 1)[1], [data[1], data[2], data[4], data[5]]),
            ];
            foreach ((Tensor result, int[] expected) in cases)
            {
                Assert.That(result.DType, Is.EqualTo(dtype));
                Assert.That(result.RequiresGrad, Is.False);
                Assert.That(result.GradFn, Is.Null);
                Assert.That(result.ToIntArray(), Is.EqualTo(expected), $"{dtype} {result.Shape.Length}-D");
            }
        }
    }

    [Test]
    public void Copies_MoveSignedZeroAndNaNPayloads_Exactly()
    {
        float payload = BitConverter.Int32BitsToSingle(0x7FC0_1234), negativeZero = -0f;
        Tensor x = _arena.FromData([payload, negativeZero, float.NegativeInfinity, 1e-45f], [2, 2], requiresGrad: true);
        uint[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray();
        uint[] source = Bits(x);
        Assert.That(Bits(x.Permute(1, 0)), Is.EqualTo(new[] { source[0], source[2], source[1], source[3] }));
        Assert.That(Bits(x.Expand(2, 2, 2))[4..], Is.EqualTo(source));
        Assert.That(Bits(x.Repeat(1, 2)), Is.EqualTo(new[] { source[0], source[1], source[0], source[1], source[2], source[3], source[2], source[3] }));
        Assert.That(Bits(x.Select(1, 1)), Is.EqualTo(new[] { source[1], source[3] }));
        Assert.That(Bits(Functional.Stack([x, x], 2))[..2], Is.EqualTo(new[] { source[0], source[0] }));
    }

    [Test]
    public void IntTensor_CannotMeetAFloatInStack()
    {
        var error = Assert.Throws<ArgumentException>(() => Functional.Stack([_arena.Ones([2], DType.Int32), _arena.Ones([2])]));
        Assert.That(error!.Message, Does.StartWith("expected scalar type Int32 but found Float32"));
    }

    [Test]
    public void PpoSnippet_UnsqueezeOnInt32Actions_SqueezeOnFloat()
    {
        Tensor actions = _arena.FromData([2, 0, 1], [3]);
        Tensor index = actions.Unsqueeze(1);
        Assert.That(index.DType, Is.EqualTo(DType.Int32));
        Assert.That(index.Shape.ToArray(), Is.EqualTo(new[] { 3, 1 }));
        Assert.That(index.ToIntArray(), Is.EqualTo(new[] { 2, 0, 1 }));
        Tensor logits = Leaf(3, 1);
        Tensor picked = logits.LogSoftmax(1).Squeeze(1);
        Assert.That(picked.Shape.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(picked.GradFn, Is.EqualTo("SqueezeBackward1"));
    }

    [TestCase(5, 4, new[] { 2, 2, 1 })]
    [TestCase(6, 4, new[] { 2, 2, 2 })]
    [TestCase(7, 3, new[] { 3, 3, 1 })]
    [TestCase(3, 5, new[] { 1, 1, 1 })]
    [TestCase(0, 4, new[] { 0, 0, 0, 0 })]
    public void Chunk_PieceSizes_MatchTorch(int size, int chunks, int[] expected) =>
        // torch.randn(size).chunk(chunks): sizes checked with PyTorch 1.13
        Assert.That(_arena.Zeros([size]).Chunk(chunks).Select(p => p.Shape[0]), Is.EqualTo(expected));

    [TestCase(7, 3, new[] { 3, 3, 1 })]
    [TestCase(6, 10, new[] { 6 })]
    [TestCase(0, 2, new[] { 0 })]
    [TestCase(0, 0, new[] { 0 })]
    public void Split_PieceSizes_MatchTorch(int size, int splitSize, int[] expected) =>
        Assert.That(_arena.Zeros([size]).Split(splitSize).Select(p => p.Shape[0]), Is.EqualTo(expected));

    [Test]
    public void SpanOverloads_ReturnTheCount_AndLeaveTheRestOfTheSpan()
    {
        Tensor x = Leaf(7);
        var pieces = new Tensor[5];
        Tensor marker = _arena.Ones([1]);
        pieces[3] = marker;
        Assert.That(x.Split(3, pieces), Is.EqualTo(3));
        Assert.That(pieces[..3].Select(p => p.Count), Is.EqualTo(new[] { 3, 3, 1 }));
        Assert.That(pieces[3], Is.EqualTo(marker), "past the count nothing is written");
        Assert.That(x.Chunk(2, pieces), Is.EqualTo(2));
        Assert.That(pieces[1].ToArray(), Is.EqualTo(new[] { 4.5f, 5.5f, 6.5f }));
        Assert.That(x.Split([0, 7], pieces), Is.EqualTo(2));
        Assert.That(pieces[0].Count, Is.EqualTo(0));
        Assert.That(pieces[1].ToArray(), Is.EqualTo(x.ToArray()));
    }

    [Test]
    public void SpanOverloads_AllocateNothing()
    {
        Tensor x = Leaf(4, 6);
        var pieces = new Tensor[4];
        Assert.That(() =>
        {
            using (_arena.Scope())
            {
                x.Split(4, pieces, 1);
                x.Chunk(3, pieces, 1);
                x.Split([1, 2, 3], pieces, 1);
                (pieces[0].Sum() + pieces[2].Sum()).Backward();
            }
        }, Allocates.Nothing & Allocates.NoNativeGrowth(_arena));
    }

    [Test]
    public void Split_TooShortSpan_MakesNothing()
    {
        Tensor x = Leaf(7);
        int tensors = _arena.TensorCount;
        var pieces = new Tensor[2];
        Assert.Throws<ArgumentException>(() => x.Split(3, pieces));
        Assert.That(_arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(pieces, Is.All.EqualTo(default(Tensor)));
    }

    [Test]
    public void Split_CapacityFailure_MidWay_LeavesArenaAndSpanAsTheyWere()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 4096, MaxBytes = 8192 });
        Tensor x = arena.Zeros([1500]); // 6000 bytes: the first piece of 1000 floats fits, the second does not
        int tensors = arena.TensorCount;
        var pieces = new Tensor[2];
        Assert.Throws<ArenaCapacityException>(() => x.Split(1000, pieces));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors), "the first piece is rolled back");
        Assert.That(pieces, Is.All.EqualTo(default(Tensor)), "the span holds no handle to a rolled-back piece");
    }

    [Test]
    public void Backward_OfUnusedAndEmptyPieces_GivesZerosWhereNothingFlowed()
    {
        Tensor x = Leaf(2, 4);
        Tensor[] pieces = x.Split([1, 0, 3], 1);
        (pieces[1].Sum() + pieces[2].Sum() * 2f).Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 2f, 2f, 2f, 0f, 2f, 2f, 2f }));
        Tensor y = Leaf(3);
        y.Narrow(0, 1, 0).Sum().Backward();
        Assert.That(y.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f }), "an empty narrow gives zeros, as torch does");
    }

    [Test]
    public void Expand_And_Repeat_Backward_SumTheCopies()
    {
        Tensor x = _arena.FromData([1f, 2f], [2, 1], requiresGrad: true);
        Tensor w = _arena.FromData([1f, 10f, 100f, 1000f, 10000f, 100000f], [2, 3]);
        (x.Expand(2, 3) * w).Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 111f, 111000f }));
        x.ZeroGrad();
        (x.Repeat(1, 3) * w).Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 111f, 111000f }));
        x.ZeroGrad();
        (x.Repeat(2, 1, 1).Sum(0) * w.Narrow(1, 0, 1)).Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 2000f }));
    }

    [Test]
    public void NoGrad_ViewsAreMarked_AsReshapeViewsAre()
    {
        Tensor x = Leaf(2, 3);
        Tensor v;
        using (_arena.NoGrad()) v = x.Unsqueeze(0);
        Assert.That(v.RequiresGrad, Is.False);
        Assert.That(v.GradFn, Is.Null);
    }

    [Test]
    public void CapturedReplay_OfEveryShapeOp_IsBitwiseEager()
    {
        Tensor w = _arena.Randn([3, 4]);
        Tensor Forward(Tensor x)
        {
            Tensor[] parts = x.Split(2, 1);
            Tensor a = x.Narrow(0, 1, 2).Slice(1, -3, 4, 2) * parts[1].Select(0, -1).Unsqueeze(0).Expand(2, -1);
            Tensor b = Functional.Stack([a, a.Permute(0, 1)], 2).Flatten(1).Repeat(1, 2) + x.Chunk(2, 0)[1].Squeeze().Sum();
            return b * w.Narrow(0, 0, 2).Repeat(1, 2).Narrow(1, 0, 8) + x.Unsqueeze(2).Squeeze(2).Narrow(0, 0, 2).Repeat(1, 2);
        }
        using CapturedStep step = _arena.Capture(_arena.Randn([3, 4]), Forward);
        Tensor fresh = _arena.Randn([3, 4]);
        Tensor replayed = step.Run(fresh);
        Tensor eager = Forward(fresh);
        Assert.That(replayed.ToArray().Select(BitConverter.SingleToUInt32Bits), Is.EqualTo(eager.ToArray().Select(BitConverter.SingleToUInt32Bits)));
    }
}
