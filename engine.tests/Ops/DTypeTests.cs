using ArenaGrad.IO;
using ArenaGrad.Nn;

namespace ArenaGrad.Tests.Ops;

/// <summary>Int32 and Bool tensors: factories, reading, conversion, printing (PyTorch 1.13's reprs), the refusal of
/// requires_grad, the dtype check of every float op, and views and copies that keep the dtype.</summary>
public sealed class DTypeTests
{
    private Arena _arena = null!;

    [SetUp]
    public void SetUp() => _arena = new Arena();

    [TearDown]
    public void TearDown() => _arena.Dispose();

    [Test]
    public void Factories_MakeTheirDType()
    {
        Tensor i = _arena.FromData([3, -1, 7], [3]);
        Tensor b = _arena.FromData([true, false], [2]);
        Assert.That(i.DType, Is.EqualTo(DType.Int32));
        Assert.That(b.DType, Is.EqualTo(DType.Bool));
        Assert.That(_arena.Zeros([2]).DType, Is.EqualTo(DType.Float32), "Float32 stays the default");
        Assert.That(i.ToIntArray(), Is.EqualTo(new[] { 3, -1, 7 }));
        Assert.That(b.ToIntArray(), Is.EqualTo(new[] { 1, 0 }));
        Assert.That(_arena.Zeros([2, 2], DType.Int32).ToIntArray(), Is.EqualTo(new[] { 0, 0, 0, 0 }));
        Assert.That(_arena.Ones([3], DType.Bool).ToIntArray(), Is.EqualTo(new[] { 1, 1, 1 }));
        Assert.That(_arena.Full([2], 9, DType.Bool).ToIntArray(), Is.EqualTo(new[] { 1, 1 }), "a Bool holds 0 or 1");
        Assert.That(_arena.Full([2], 9, DType.Float32).ToArray(), Is.EqualTo(new[] { 9f, 9f }));
        Assert.That(_arena.Zeros([1], DType.Float32).DType, Is.EqualTo(DType.Float32));
        Tensor range = _arena.Arange(4);
        Assert.That(range.DType, Is.EqualTo(DType.Int32), "torch.arange(4) is an integer tensor");
        Assert.That(range.ToIntArray(), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(_arena.Arange(10, 1, -4).ToIntArray(), Is.EqualTo(new[] { 10, 6, 2 }));
        Assert.That(_arena.Arange(4f).DType, Is.EqualTo(DType.Float32), "a float end keeps Float32");
        Assert.That(_arena.FromData([5, 6]).Shape.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(_arena.FromData([true]).DType, Is.EqualTo(DType.Bool));
    }

    [Test]
    public void FactoryErrors_SayWhatWasExpected()
    {
        Assert.That(() => _arena.FromData([1, 2, 3], [2, 2]),
            Throws.ArgumentException.With.Message.StartsWith("shape '[2, 2]' is invalid for input of size 3"));
        Assert.That(() => _arena.FromData([true], [-1]), Throws.ArgumentException.With.Message.Contains("negative dimension -1"));
        Assert.That(() => _arena.Zeros([2], (DType)7), Throws.InstanceOf<ArgumentOutOfRangeException>()
            .With.Message.Contains("Expected DType.Float32, DType.Int32 or DType.Bool"));
        Assert.That(() => _arena.Arange(0, 5, 0), Throws.ArgumentException.With.Message.EqualTo("step must be nonzero (Parameter 'step')"));
    }

    [Test]
    public void IntegerTensors_NeverRequireGrad_WithPyTorchsMessage()
    {
        Tensor i = _arena.FromData([1, 2], [2]);
        Tensor b = _arena.FromData([true], [1]);
        foreach (Tensor t in new[] { i, b })
        {
            Assert.That(() => t.SetRequiresGrad(), Throws.InvalidOperationException.With.Message.EqualTo(
                "only Tensors of floating point dtype can require gradients"));
            Assert.That(t.RequiresGrad, Is.False);
            Assert.That(() => t.SetRequiresGrad(false), Throws.Nothing);
        }
    }

    [Test]
    public void FloatOps_RefuseIntegerTensors_NamingBothDTypes()
    {
        Tensor i = _arena.FromData([1, 2], [2]);
        Tensor b = _arena.FromData([true, false], [2]);
        Tensor f = _arena.Ones([2]);
        const string IntMessage = "expected scalar type Float32 but found Int32";
        const string BoolMessage = "expected scalar type Float32 but found Bool";
        Action[] intCases =
        [
            () => i.Exp(), () => _ = i + f, () => _ = f * i, () => _ = i * 2f, () => i.Sum(), () => i.Sum(0), () => i.Softmax(0),
            () => i.Reshape(1, 2).MatMul(f.Reshape(2, 1)), () => Functional.Linear(f.Reshape(1, 2), i.Reshape(1, 2)),
            () => Functional.MseLoss(i, f), () => Functional.CrossEntropy(i.Reshape(1, 2), [0]), () => i.AsSpanUnsafely(),
            () => f.AddInPlace(i), () => i.FillInPlace(1f), () => i.CopyFrom([1f, 2f]), () => i.Max(), () => i.Reshape(1, 2).AsSpan2DUnsafely(),
        ];
        foreach (Action call in intCases) Assert.That(() => call(), Throws.ArgumentException.With.Message.EqualTo(IntMessage));
        Assert.That(() => b.Tanh(), Throws.ArgumentException.With.Message.EqualTo(BoolMessage));
        Assert.That(() => Functional.Cat([f, i]), Throws.ArgumentException.With.Message.EqualTo(IntMessage),
            "cat needs one dtype (PyTorch would promote)");
        Assert.That(() => Functional.Cat([i, b]), Throws.ArgumentException.With.Message.EqualTo("expected scalar type Int32 but found Bool"));
        Assert.That(() => i.CopyFrom(f), Throws.ArgumentException.With.Message.EqualTo("expected scalar type Int32 but found Float32"));
        Assert.That(() => f.ToIntArray(), Throws.ArgumentException.With.Message.Contains("this one is Float32"));
        Assert.That(() => f.CopyTo(new int[2]), Throws.ArgumentException.With.Message.Contains("this one is Float32"));
        Assert.That(() => f.CopyFrom([1, 2]), Throws.ArgumentException.With.Message.EqualTo("expected scalar type Int32 but found Float32"));
        Assert.That(() => i.CopyFrom([true, false]), Throws.ArgumentException.With.Message.EqualTo("expected scalar type Bool but found Int32"));
        Assert.That(_arena.TapeLength, Is.EqualTo(0), "nothing was recorded");
    }

    [Test]
    public void To_ConvertsAsPyTorch_SaturatingWhereCLeavesItUndefined()
    {
        Tensor x = _arena.FromData([-2.75f, -0.5f, -0f, 0.5f, 2.99f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e9f, -3e9f], [10]);
        Assert.That(x.To(DType.Int32).ToIntArray(), Is.EqualTo(new[] { -2, 0, 0, 0, 2, 0, int.MaxValue, int.MinValue, int.MaxValue, int.MinValue }));
        Assert.That(x.To(DType.Bool).ToIntArray(), Is.EqualTo(new[] { 1, 1, 0, 1, 1, 1, 1, 1, 1, 1 }), "!= 0, NaN is True");
        Tensor i = _arena.FromData([int.MaxValue, -3, 0], [3]);
        Assert.That(i.To(DType.Float32).ToArray(), Is.EqualTo(new[] { 2147483648f, -3f, 0f }));
        Assert.That(i.To(DType.Bool).ToIntArray(), Is.EqualTo(new[] { 1, 1, 0 }));
        Assert.That(_arena.FromData([true, false], [2]).To(DType.Int32).ToIntArray(), Is.EqualTo(new[] { 1, 0 }));
        Assert.That(i.To(DType.Int32), Is.EqualTo(i), "to its own dtype returns the tensor itself");
        Tensor w = _arena.Ones([2], requiresGrad: true);
        Tensor converted = w.To(DType.Int32);
        Assert.That(converted.RequiresGrad, Is.False);
        Assert.That(converted.GradFn, Is.Null);
        Assert.That(_arena.TapeLength, Is.EqualTo(0), "a conversion is never on the tape");
        Assert.That(() => w.To((DType)9), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Reading_ConvertsToFloat_ButSpansKeepTheBits()
    {
        Tensor i = _arena.FromData([16777217, -4], [2]);
        Assert.That(i.ToArray(), Is.EqualTo(new[] { 16777216f, -4f }), "ToArray reads as floats, as t.float().tolist()");
        Assert.That(i.ToIntArray(), Is.EqualTo(new[] { 16777217, -4 }), "exact");
        var into = new int[3];
        i.CopyTo(into);
        Assert.That(into, Is.EqualTo(new[] { 16777217, -4, 0 }));
        Assert.That(() => i.CopyTo(new int[1]), Throws.ArgumentException.With.Message.Contains("at least 2 elements"));
        Assert.That(_arena.FromData([7], []).Item(), Is.EqualTo(7f));
        i.AsIntSpanUnsafely()[0] = 5;
        Assert.That(i.ToIntArray()[0], Is.EqualTo(5));
        Assert.That(() => _arena.Ones([1]).AsIntSpanUnsafely(), Throws.ArgumentException);
    }

    [Test]
    public void CopyFrom_ChangesIntegerValues_AndBumpsTheVersion()
    {
        Tensor i = _arena.Zeros([3], DType.Int32);
        int before = _arena.VersionOf(i.Slot);
        i.CopyFrom([4, 5, 6]);
        Assert.That(i.ToIntArray(), Is.EqualTo(new[] { 4, 5, 6 }));
        Assert.That(_arena.VersionOf(i.Slot), Is.EqualTo(before + 1));
        Tensor b = _arena.Zeros([2], DType.Bool);
        b.CopyFrom([false, true]);
        Assert.That(b.ToIntArray(), Is.EqualTo(new[] { 0, 1 }));
        i.CopyFrom(_arena.FromData([9, 9, 9], [3]));
        Assert.That(i.ToIntArray(), Is.EqualTo(new[] { 9, 9, 9 }));
        Assert.That(() => i.CopyFrom([1, 2]), Throws.ArgumentException.With.Message.Contains("but the span has 2"));
    }

    [Test]
    public void ViewsAndCopies_KeepTheDType()
    {
        Tensor i = _arena.FromData([1, 2, 3, 4, 5, 6], [2, 3]);
        Assert.That(i.Reshape(3, 2).DType, Is.EqualTo(DType.Int32));
        Assert.That(i.Transpose(0, 1).ToIntArray(), Is.EqualTo(new[] { 1, 4, 2, 5, 3, 6 }));
        Assert.That(i.Transpose(0, 1).DType, Is.EqualTo(DType.Int32));
        Assert.That(i.Detach().DType, Is.EqualTo(DType.Int32));
        Tensor joined = Functional.Cat([i, i], 0);
        Assert.That(joined.DType, Is.EqualTo(DType.Int32));
        Assert.That(joined.ToIntArray(), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6 }));
        Tensor b = _arena.FromData([true, false], [2]);
        Assert.That(Functional.Cat([b, b]).DType, Is.EqualTo(DType.Bool));
        // int bits that are NaN payloads as floats survive every copy
        Tensor bits = _arena.FromData([-1, 0x7F800001, int.MinValue], [3]);
        Assert.That(Functional.Cat([bits.Reshape(1, 3), bits.Reshape(1, 3)], 0).Transpose(0, 1).ToIntArray(),
            Is.EqualTo(new[] { -1, -1, 0x7F800001, 0x7F800001, int.MinValue, int.MinValue }));
    }

    [Test]
    public void BorrowedViews_KeepTheDType()
    {
        using var shared = new Arena();
        Tensor table = shared.FromData([4, 5], [2]);
        shared.Freeze();
        Tensor view = _arena.Borrow(table);
        Assert.That(view.DType, Is.EqualTo(DType.Int32));
        Assert.That(view.ToIntArray(), Is.EqualTo(new[] { 4, 5 }));
        _arena.Reset();
        shared.Unfreeze();
    }

    [TestCase(new[] { 1, 2, 3 }, new[] { 3 }, "tensor([1, 2, 3], dtype=torch.int32)")]
    [TestCase(new[] { 1, -20, 300, 4 }, new[] { 2, 2 }, "tensor([[  1, -20],\n        [300,   4]], dtype=torch.int32)")]
    [TestCase(new int[0], new[] { 0, 3 }, "tensor([], size=(0, 3), dtype=torch.int32)")]
    [TestCase(new int[0], new[] { 0 }, "tensor([], dtype=torch.int32)")]
    [TestCase(new[] { 5 }, new int[0], "tensor(5, dtype=torch.int32)")]
    public void Int32_PrintsAsPyTorch(int[] values, int[] shape, string expected) =>
        Assert.That(_arena.FromData(values, shape).ToString(), Is.EqualTo(expected));

    [Test]
    public void Printing_MatchesPyTorch_ForBoolAndLongIntegerTensors()
    {
        Assert.That(_arena.FromData([true, false], [2]).ToString(), Is.EqualTo("tensor([ True, False])"));
        Assert.That(_arena.FromData([true], []).ToString(), Is.EqualTo("tensor(True)"));
        Assert.That(_arena.FromData([true, false], [2, 1]).ToString(), Is.EqualTo("tensor([[ True],\n        [False]])"));
        Assert.That(_arena.Zeros([2, 0], DType.Bool).ToString(), Is.EqualTo("tensor([], size=(2, 0), dtype=torch.bool)"));
        Assert.That(_arena.Arange(2000).ToString(), Is.EqualTo("tensor([   0,    1,    2,  ..., 1997, 1998, 1999], dtype=torch.int32)"));
        int[] hundredThousands = Enumerable.Range(0, 40).Select(k => k * 100000).ToArray();
        Assert.That(_arena.FromData(hundredThousands, [40]).ToString(), Is.EqualTo(
            "tensor([      0,  100000,  200000,  300000,  400000,  500000,  600000,  700000,\n" +
            "         800000,  900000, 1000000, 1100000, 1200000, 1300000, 1400000, 1500000,\n" +
            "        1600000, 1700000, 1800000, 1900000, 2000000, 2100000, 2200000, 2300000,\n" +
            "        2400000, 2500000, 2600000, 2700000, 2800000, 2900000, 3000000, 3100000,\n" +
            "        3200000, 3300000, 3400000, 3500000, 3600000, 3700000, 3800000, 3900000],\n" +
            "       dtype=torch.int32)"));
    }

    [Test]
    public void SafetensorsSave_RefusesBoolTensors_BeforeWriting()
    {
        // Int32 tensors are written as I64 since issue 18 (num_batches_tracked); Bool has no safetensors counterpart here.
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad-dtype-{Guid.NewGuid():N}.safetensors");
        Assert.That(() => Safetensors.Save(path, [new NamedTensor("i", _arena.FromData([1], [1])), new NamedTensor("b", _arena.FromData([true], [1]))]),
            Throws.ArgumentException.With.Message.Contains("Tensor 'b' is Bool"));
        Assert.That(File.Exists(path), Is.False);
    }
}
