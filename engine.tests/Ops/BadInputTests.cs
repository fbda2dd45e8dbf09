namespace ArenaGrad.Tests.Ops;

/// <summary>Bad input gets an exception that says what was expected and what came, and leaves the arena intact.</summary>
public sealed class BadInputTests
{
    public sealed record BadCall(string Name, Func<Arena, Tensor, object?> Call, Type Exception, string Message)
    {
        public override string ToString() => Name;
    }

    // The tensor handed to each call is a [2, 3] leaf that requires grad.
    private static IEnumerable<BadCall> Calls() =>
    [
        new("matmul inner dims", (a, t) => t.MatMul(a.Ones([4, 5])), typeof(ArgumentException),
            "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
        new("matmul scalar", (a, t) => t.MatMul(a.Scalar(1f)), typeof(ArgumentException),
            "both arguments to matmul need to be at least 1D, but they are 2D and 0D"),
        new("matmul batched", (a, t) => a.Ones([2, 2, 3]).MatMul(a.Ones([2, 4, 5])), typeof(ArgumentException),
            "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
        new("broadcast", (a, t) => t + a.Ones([4]), typeof(ArgumentException),
            "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
        new("broadcast names the right-most mismatch", (a, t) => t + a.Ones([3, 2]), typeof(ArgumentException),
            "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
        new("broadcast rank 3", (a, t) => a.Ones([2, 3, 4]) + a.Ones([5, 3, 1]), typeof(ArgumentException),
            "The size of tensor a (2) must match the size of tensor b (5) at non-singleton dimension 0"),
        new("reshape size", (a, t) => t.Reshape(4, 2), typeof(ArgumentException), "shape '[4, 2]' is invalid for input of size 6"),
        new("reshape two -1", (a, t) => t.Reshape(-1, -1), typeof(ArgumentException), "only one dimension can be inferred"),
        new("dim out of range", (a, t) => t.Sum(2), typeof(ArgumentOutOfRangeException),
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("transpose dim", (a, t) => t.Transpose(0, -3), typeof(ArgumentOutOfRangeException),
            "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
        new("softmax dim", (a, t) => t.Softmax(5), typeof(ArgumentOutOfRangeException),
            "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
        new("cat sizes", (a, t) => Functional.Cat([t, a.Ones([2, 4])], 0), typeof(ArgumentException),
            "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list."),
        new("cat ranks", (a, t) => Functional.Cat([t, a.Ones([3])], 0), typeof(ArgumentException),
            "Tensors must have same number of dimensions: got 2 and 1"),
        new("cat empty", (a, t) => Functional.Cat([], 0), typeof(ArgumentException), "torch.cat(): expected a non-empty list of Tensors"),
        new("linear weight", (a, t) => Functional.Linear(t, a.Ones([4, 5])), typeof(ArgumentException),
            "mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)"),
        new("linear bias", (a, t) => Functional.Linear(t, a.Ones([4, 3]), a.Ones([5])), typeof(ArgumentException),
            "The expanded size of the tensor (4) must match the existing size (5) at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [5]"),
        new("mse shapes", (a, t) => Functional.MseLoss(t, a.Ones([3, 2])), typeof(ArgumentException),
            "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
        new("cross entropy batch", (a, t) => Functional.CrossEntropy(t, [0]), typeof(ArgumentException),
            "Expected input batch_size (2) to match target batch_size (1)."),
        new("cross entropy target", (a, t) => Functional.CrossEntropy(t, [0, 3]), typeof(ArgumentOutOfRangeException),
            "Target 3 is out of bounds."),
        new("cross entropy rank", (a, t) => Functional.CrossEntropy(t.Reshape(1, 2, 3), [0]), typeof(ArgumentException),
            "cross_entropy expects input of shape [N, C] (or [C] with one target), but got [1, 2, 3]."),
        new("from data size", (a, t) => a.FromData([1f, 2f, 3f], [2, 2]), typeof(ArgumentException),
            "shape '[2, 2]' is invalid for input of size 3"),
        new("negative dim", (a, t) => a.Zeros([2, -1]), typeof(ArgumentException),
            "Trying to create tensor with negative dimension -1: [2, -1]"),
        new("rank too high", (a, t) => a.Zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]), typeof(ArgumentException),
            "Expected a shape of rank at most 8, but got rank 9"),
        new("range step", (a, t) => a.Arange(0, 5, 0), typeof(ArgumentException), "step must be nonzero"),
        new("range sign", (a, t) => a.Range(5, 0), typeof(ArgumentException), "upper bound and larger bound inconsistent with step sign"),
        new("item of many", (a, t) => t.Item(), typeof(InvalidOperationException), "a Tensor with 6 elements cannot be converted to Scalar"),
        new("add in place shape", (a, t) => a.Ones([3]).AddInPlace(a.Ones([2])), typeof(ArgumentException),
            "AddInPlace expects other to have this tensor's shape [3], but got [2]."),
        new("copy count", (a, t) => a.Ones([3]).CopyFrom(t), typeof(ArgumentException),
            "CopyFrom expects 3 elements (shape [3]), but source has 6 (shape [2, 3])."),
        new("backward gradient shape", (a, t) => { (t * 2f).Backward(a.Ones([3])); return null; }, typeof(ArgumentException),
            "Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a shape of torch.Size([2, 3])."),
        new("empty max", (a, t) => a.Zeros([0]).Max(), typeof(InvalidOperationException),
            "max(): Expected reduction dim to be specified for input.numel() == 0."),
    ];

    [TestCaseSource(nameof(Calls))]
    public void BadCall_ThrowsClearError_AndLeavesArenaIntact(BadCall bad)
    {
        using var arena = new Arena();
        Tensor t = arena.FromData([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], requiresGrad: true);
        Tensor kept = (t * t).Sum();
        int tensors = arena.TensorCount, tape = arena.TapeLength;
        long reserved = arena.ReservedBytes, gradientBytes = arena.GradientBytes;

        // The call's own arguments (ones, scalars) are made inside it; a scope releases them so that only
        // what the failing op itself left behind would show in the counts below.
        Exception? thrown;
        using (arena.Scope()) thrown = Assert.Catch(() => bad.Call(arena, t));
        Assert.That(thrown, Is.TypeOf(bad.Exception));
        Assert.That(thrown!.Message, Does.StartWith(bad.Message));

        Assert.That(arena.TensorCount, Is.EqualTo(tensors), "tensor table");
        Assert.That(arena.TapeLength, Is.EqualTo(tape), "tape");
        Assert.That(arena.GradientBytes, Is.EqualTo(gradientBytes), "gradient bytes");
        Assert.That(arena.ReservedBytes, Is.GreaterThanOrEqualTo(reserved));
        // The arena still works: the graph recorded before the bad call still runs backward.
        kept.Backward();
        Assert.That(t.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 4f, 6f, 8f, 10f, 12f }));
    }

    [Test]
    public void BadCall_InsideNoScope_RecordsNothingAndMakesNoTensor()
    {
        using var arena = new Arena();
        Tensor t = arena.Ones([2, 3], requiresGrad: true);
        Tensor wrong = arena.Ones([4, 5]);
        int tensors = arena.TensorCount, tape = arena.TapeLength;
        Assert.Throws<ArgumentException>(() => t.MatMul(wrong));
        Assert.Throws<ArgumentException>(() => _ = t + wrong);
        Assert.Throws<ArgumentException>(() => Functional.Cat([t, wrong], 0));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
    }
}
