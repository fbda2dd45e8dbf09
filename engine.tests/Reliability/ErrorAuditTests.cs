using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace ArenaGrad.Tests.Reliability;

/// <summary>Every public entry point (Tensor, Functional, the arena's factories, Autograd) called with hostile
/// arguments: out-of-range and huge dims, bad shapes, NaN/inf scalars, empty spans, default(Tensor), tensors of
/// another arena or of a released scope, 0-d and empty tensors. Each must throw the stated exception with a
/// message that says what was expected (PyTorch 1.13's text where it has one) and leave the arena as it was.
/// No IndexOutOfRangeException, OverflowException, OutOfMemoryException or kernel-internal message.</summary>
public sealed class ErrorAuditTests
{
    public sealed record Hostile(string Name, Func<Arena, Tensor, object?> Call, Type Exception, string Message)
    {
        public override string ToString() => Name;
    }

    private static readonly Type Arg = typeof(ArgumentException);
    private static readonly Type Range = typeof(ArgumentOutOfRangeException);
    private static readonly Type State = typeof(InvalidOperationException);

    private static Tensor Foreign(Func<Arena, Tensor> make)
    {
        // An arena that is never disposed would keep its memory; this one lives as long as the test process.
        Other ??= new Arena();
        return make(Other);
    }

    private static Arena? Other;

    private static Tensor Released(Arena a)
    {
        Tensor r;
        using (a.Scope()) r = a.Ones([3]);
        return r;
    }

    // The receiver t is a [2, 3] leaf that requires grad.
    private static IEnumerable<Hostile> Calls() =>
    [
        // ---- dims out of range, huge and negative
        new("sum int.MinValue", (a, t) => t.Sum(int.MinValue), Range, "Dimension out of range (expected to be in range of [-2, 1], but got -2147483648)"),
        new("mean dim 2", (a, t) => t.Mean(2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("max dim -3", (a, t) => t.Max(-3, keepDim: true), Range, "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
        new("min dim 2", (a, t) => t.Min(2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("max with indices int.MinValue", (a, t) => t.MaxWithIndices(int.MinValue), Range, "Dimension out of range (expected to be in range of [-2, 1], but got -2147483648)"),
        new("argmin dim 2", (a, t) => t.ArgMin(2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("var dim -3", (a, t) => t.Var(-3), Range, "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
        new("std dim int.MaxValue", (a, t) => t.Std(int.MaxValue, correction: 0), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2147483647)"),
        new("norm dim 2", (a, t) => t.Norm(2f, 2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("logsumexp dim -3", (a, t) => t.LogSumExp(-3), Range, "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
        new("cumsum dim 2", (a, t) => t.CumSum(2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("prod dim 2", (a, t) => t.Prod(2, keepDim: true), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("scalar cumsum dim 1", (a, t) => a.Scalar(1f).CumSum(1), Range, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
        new("log_softmax int.MaxValue", (a, t) => t.LogSoftmax(int.MaxValue), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2147483647)"),
        new("transpose dim0", (a, t) => t.Transpose(2, 0), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("size dim", (a, t) => t.Size(2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("size of scalar", (a, t) => a.Scalar(1f).Size(0), Range, "Dimension specified as 0 but tensor has no dimensions"),
        new("size -1 of scalar", (a, t) => a.Scalar(1f).Size(-1), Range, "Dimension specified as -1 but tensor has no dimensions"),
        new("scalar transpose(0, 1)", (a, t) => a.Scalar(1f).Transpose(0, 1), Range, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
        new("scalar softmax dim 1", (a, t) => a.Scalar(1f).Softmax(1), Range, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
        new("scalar sum dim -2", (a, t) => a.Scalar(1f).Sum(-2), Range, "Dimension out of range (expected to be in range of [-1, 0], but got -2)"),
        new("cat dim", (a, t) => Functional.Cat([t, t], 2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),

        // ---- shapes
        new("zeros negative", (a, t) => a.Zeros([3, int.MinValue]), Arg, "Trying to create tensor with negative dimension -2147483648: [3, -2147483648]"),
        new("zeros too many elements", (a, t) => a.Zeros([int.MaxValue, 2]), Arg, "Expected fewer than 2^31 elements, but shape [2147483647, 2] has more."),
        new("empty with overflowing strides", (a, t) => a.Zeros([0, 46341, 46341]), Arg,
            "Expected the product of the non-zero dims to be below 2^31 (strides are 32-bit), but shape [0, 46341, 46341] has 2147488281."),
        new("empty with huge dims", (a, t) => a.Full([0, int.MaxValue, int.MaxValue, int.MaxValue], 1f), Arg,
            "Expected the product of the non-zero dims to be below 2^31 (strides are 32-bit), but shape [0, 2147483647, 2147483647, 2147483647] has 4294967296 or more."),
        new("broadcast into overflowing strides", (a, t) => a.Zeros([0, 1, 46341]) + a.Zeros([46341, 1]), Arg,
            "Expected the product of the non-zero dims to be below 2^31 (strides are 32-bit), but shape [0, 46341, 46341] has 2147488281."),
        new("reshape empty into overflowing strides", (a, t) => a.Zeros([0, 46341]).Reshape(0, 46341, 46341), Arg,
            "Expected the product of the non-zero dims to be below 2^31"),
        new("cat past 2^31", (a, t) => Functional.Cat([a.Zeros([0, 1 << 30]), a.Zeros([0, 1 << 30])], 1), Arg,
            "Expected every dim below 2^31, but cat along dim 1 gives size 2147483648."),
        new("cat 0-d later", (a, t) => Functional.Cat([a.Zeros([2]), a.Scalar(1f)]), Arg, "zero-dimensional tensor (at position 1) cannot be concatenated"),
        new("reshape -1 of nothing", (a, t) => a.Zeros([0]).Reshape(-1, 0), Arg,
            "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension size -1 can be any value and is ambiguous"),
        new("reshape -2", (a, t) => t.Reshape(-2, 3), Arg, "invalid shape dimension -2"),
        new("reshape huge dims", (a, t) => t.Reshape(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue), Arg,
            "shape '[2147483647, 2147483647, 2147483647, 2147483647, 2147483647]' is invalid for input of size 6"),
        new("reshape rank 9", (a, t) => t.Reshape(1, 1, 1, 1, 1, 1, 1, 2, 3), Arg, "Expected a shape of rank at most 8, but got rank 9."),
        new("from data negative", (a, t) => a.FromData(ReadOnlySpan<float>.Empty, [-1]), Arg, "Trying to create tensor with negative dimension -1: [-1]"),
        new("from data empty span", (a, t) => a.FromData(ReadOnlySpan<float>.Empty, [2]), Arg, "shape '[2]' is invalid for input of size 0"),
        new("matmul 1-D sizes", (a, t) => a.Ones([3]).MatMul(a.Ones([4])), Arg, "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively"),
        new("linear scalar input", (a, t) => Functional.Linear(a.Scalar(1f), a.Ones([2, 4])), Arg, "both arguments to matmul need to be at least 1D, but they are 0D and 2D"),
        new("linear 3-D weight", (a, t) => Functional.Linear(t, a.Ones([2, 2, 3])), Arg, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
        new("amax of empty dim", (a, t) => a.Zeros([0, 3]).Max(0), Arg, "amax(): Expected reduction dim 0 to have non-zero size."),
        new("max of empty", (a, t) => a.Zeros([2, 0]).Max(), State, "max(): Expected reduction dim to be specified for input.numel() == 0."),
        new("min of empty", (a, t) => a.Zeros([2, 0]).Min(), State, "min(): Expected reduction dim to be specified for input.numel() == 0."),
        new("amin of empty dim", (a, t) => a.Zeros([0, 3]).Amin(0), Arg, "amin(): Expected reduction dim 0 to have non-zero size."),
        new("max with indices of empty dim", (a, t) => a.Zeros([2, 0]).MaxWithIndices(-1), Arg, "max(): Expected reduction dim 1 to have non-zero size."),
        new("min with indices of empty dim", (a, t) => a.Zeros([0, 3]).MinWithIndices(0, keepDim: true), Arg, "min(): Expected reduction dim 0 to have non-zero size."),
        new("argmax of empty dim", (a, t) => a.Zeros([2, 0]).ArgMax(1), Arg, "argmax(): Expected reduction dim 1 to have non-zero size."),
        new("argmin of empty", (a, t) => a.Zeros([0]).ArgMin(), State, "argmin(): Expected reduction dim to be specified for input.numel() == 0."),
        new("item of empty", (a, t) => a.Zeros([0]).Item(), State, "a Tensor with 0 elements cannot be converted to Scalar"),
        new("copy to short span", (a, t) => { t.CopyTo(new float[5]); return null; }, Arg, "CopyTo expects a destination of at least 6 elements (shape [2, 3]), but it has 5."),

        // ---- NaN and infinite scalars
        new("arange NaN step", (a, t) => a.Arange(0f, 10f, float.NaN), Arg, "step must be nonzero"),
        new("range NaN step", (a, t) => a.Range(0f, 10f, float.NaN), Arg, "step must be nonzero"),
        new("arange NaN end", (a, t) => a.Arange(float.NaN), Arg, "unsupported range: 0 -> nan"),
        new("arange -inf start", (a, t) => a.Arange(float.NegativeInfinity, 1f), Arg, "unsupported range: -inf -> 1"),
        new("range inf end", (a, t) => a.Range(0.5f, float.PositiveInfinity), Arg, "unsupported range: 0.5 -> inf"),
        new("arange too long", (a, t) => a.Arange(0f, 1e12f), Arg, "Expected fewer than 2^31 elements, but the range has 999999995904."),
        new("uniform from > to", (a, t) => a.Uniform([3], 1f, 0f), Arg, "uniform_ expects to return a [from, to) range, but found from=1 > to=0"),
        new("uniform NaN", (a, t) => a.Uniform([3], float.NaN, 1f), Arg, "from is out of bounds for float"),
        new("uniform inf", (a, t) => a.Uniform([3], 0f, float.PositiveInfinity), Arg, "to is out of bounds for float"),
        new("randn negative std", (a, t) => a.Randn([3], std: -1f), Arg, "normal expects std >= 0.0, but found std -1"),
        new("randn NaN std", (a, t) => a.Randn([3], std: float.NaN), Arg, "normal expects std >= 0.0, but found std nan"),

        // ---- views and shape ops (issue 16); t is [2, 3]
        new("narrow past the end", (a, t) => a.Ones([6]).Narrow(0, 5, 2), Arg, "start (5) + length (2) exceeds dimension size (6)."),
        new("narrow negative start past the end", (a, t) => a.Ones([6]).Narrow(0, -1, 2), Arg, "start (5) + length (2) exceeds dimension size (6)."),
        new("narrow negative length", (a, t) => t.Narrow(0, 0, -1), Arg, "start (0) + length (-1) exceeds dimension size (2)."),
        new("narrow start out of range", (a, t) => a.Ones([6]).Narrow(0, 7, 0), Range, "Dimension out of range (expected to be in range of [-6, 5], but got 7)"),
        new("narrow dim out of range", (a, t) => t.Narrow(2, 0, 1), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("narrow 0-dim", (a, t) => a.Scalar(1f).Narrow(0, 0, 1), Arg, "narrow() cannot be applied to a 0-dim tensor."),
        new("select index past the end", (a, t) => a.Ones([3, 4]).Select(1, 5), Range, "select(): index 5 out of range for tensor of size [3, 4] at dimension 1"),
        new("select negative index", (a, t) => a.Ones([3, 4]).Select(-1, -5), Range, "select(): index -5 out of range for tensor of size [3, 4] at dimension 1"),
        new("select dim out of range", (a, t) => t.Select(2, 0), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("select 0-dim", (a, t) => a.Scalar(1f).Select(0, 0), Arg, "select() cannot be applied to a 0-dim tensor."),
        new("slice step 0", (a, t) => t.Slice(1, 0, 3, 0), Arg, "slice step must be positive"),
        new("slice negative step", (a, t) => t.Slice(1, 0, 3, -1), Arg, "slice step must be positive"),
        new("slice dim out of range", (a, t) => a.Ones([6]).Slice(1, 0, 1), Range, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
        new("slice 0-dim", (a, t) => a.Scalar(1f).Slice(0, 0, 1), Arg, "slice() cannot be applied to a 0-dim tensor."),
        new("permute too few dims", (a, t) => t.Permute(0), Arg, "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = 2 is not equal to len(dims) = 1"),
        new("permute too many dims", (a, t) => t.Permute(0, 1, 2), Arg, "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = 2 is not equal to len(dims) = 3"),
        new("permute duplicate", (a, t) => t.Permute(0, 0), Arg, "permute(): duplicate dims are not allowed."),
        new("permute duplicate negative", (a, t) => t.Permute(1, -1), Arg, "permute(): duplicate dims are not allowed."),
        new("permute dim out of range", (a, t) => t.Permute(0, 2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("unsqueeze out of range", (a, t) => t.Unsqueeze(3), Range, "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
        new("unsqueeze negative out of range", (a, t) => t.Unsqueeze(-4), Range, "Dimension out of range (expected to be in range of [-3, 2], but got -4)"),
        new("unsqueeze past rank 8", (a, t) => a.Ones([1, 1, 1, 1, 1, 1, 1, 1]).Unsqueeze(0), Arg, "Expected a shape of rank at most 8, but got rank 9"),
        new("squeeze out of range", (a, t) => t.Squeeze(2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("squeeze 0-dim out of range", (a, t) => a.Scalar(1f).Squeeze(1), Range, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
        new("expand fewer sizes", (a, t) => t.Expand(4), Arg, "expand(torch.FloatTensor{[2, 3]}, size=[4]): the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)"),
        new("expand int32 fewer sizes", (a, t) => a.Ones([2, 3], DType.Int32).Expand(4), Arg, "expand(torch.IntTensor{[2, 3]}, size=[4]): the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)"),
        new("expand non-singleton", (a, t) => a.Ones([3, 4]).Expand(3, 5), Arg, "The expanded size of the tensor (5) must match the existing size (4) at non-singleton dimension 1.  Target sizes: [3, 5].  Tensor sizes: [3, 4]"),
        new("expand bool non-singleton", (a, t) => a.Ones([2], DType.Bool).Expand(4), Arg, "The expanded size of the tensor (4) must match the existing size (2) at non-singleton dimension 0.  Target sizes: [4].  Tensor sizes: [2]"),
        new("expand -1 leading", (a, t) => t.Expand(-1, -1, 3), Arg, "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0"),
        new("expand negative size", (a, t) => a.Ones([1, 4]).Expand(5, -2), Arg, "The expanded size of the tensor (-2) must match the existing size (4) at non-singleton dimension 1.  Target sizes: [5, -2].  Tensor sizes: [1, 4]"),
        new("expand negative leading", (a, t) => a.Ones([3]).Expand(-2, 3), Arg, "numel: integer multiplication overflow"),
        new("expand rank 9", (a, t) => a.Ones([2]).Expand(1, 1, 1, 1, 1, 1, 1, 1, 2), Arg, "Expected a shape of rank at most 8, but got rank 9."),
        new("flatten start after end", (a, t) => a.Ones([2, 3, 4]).Flatten(2, 1), Arg, "flatten() has invalid args: start_dim cannot come after end_dim"),
        new("flatten start out of range", (a, t) => a.Ones([2, 3, 4]).Flatten(3), Range, "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
        new("flatten end out of range", (a, t) => a.Ones([2, 3, 4]).Flatten(0, 5), Range, "Dimension out of range (expected to be in range of [-3, 2], but got 5)"),
        new("repeat fewer dims", (a, t) => t.Repeat(2), Arg, "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
        new("repeat none", (a, t) => t.Repeat(), Arg, "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
        new("repeat negative", (a, t) => a.Ones([3, 4]).Repeat(-1, 2), Arg, "Trying to create tensor with negative dimension -3: [-3, 8]"),
        new("repeat huge", (a, t) => t.Repeat(int.MaxValue, 1), Arg, "Expected every dim below 2^31, but repeat gives size 4294967294 at dim 0."),
        new("repeat rank 9", (a, t) => t.Repeat(1, 1, 1, 1, 1, 1, 1, 1, 1), Arg, "Expected a shape of rank at most 8, but got rank 9."),
        new("stack none", (a, t) => Functional.Stack([]), Arg, "stack expects a non-empty TensorList"),
        new("stack sizes differ", (a, t) => Functional.Stack([a.Ones([2]), a.Ones([3])]), Arg, "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1"),
        new("stack ranks differ", (a, t) => Functional.Stack([a.Ones([2, 3]), a.Ones([3])]), Arg, "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [3] at entry 1"),
        new("stack dim out of range", (a, t) => Functional.Stack([a.Ones([6]), a.Ones([6])], 2), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("stack dtypes differ", (a, t) => Functional.Stack([t, a.Ones([2, 3], DType.Int32)]), Arg, "expected scalar type Float32 but found Int32"),
        new("stack default", (a, t) => Functional.Stack([t, default]), State, "This Tensor is default(Tensor)"),
        new("stack foreign", (a, t) => Functional.Stack([t, Foreign(o => o.Ones([2, 3]))]), Arg, "Expected a tensor of this arena, but got one made by another arena."),
        new("chunk 0", (a, t) => a.Ones([6]).Chunk(0), Arg, "chunk expects `chunks` to be greater than 0, got: 0"),
        new("chunk negative", (a, t) => a.Ones([6]).Chunk(-1), Arg, "chunk expects `chunks` to be greater than 0, got: -1"),
        new("chunk 0-dim", (a, t) => a.Scalar(1f).Chunk(1), Arg, "chunk expects at least a 1-dimensional tensor"),
        new("chunk dim out of range", (a, t) => a.Ones([6]).Chunk(2, 1), Range, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
        new("split size 0", (a, t) => a.Ones([6]).Split(0), Arg, "split_size can only be 0 if dimension size is 0, but got dimension size of 6"),
        new("split negative size", (a, t) => a.Ones([6]).Split(-1), Arg, "split expects split_size be non-negative, but got split_size=-1"),
        new("split 0-dim", (a, t) => a.Scalar(1f).Split(1), Arg, "split expects at least a 1-dimensional tensor"),
        new("split dim out of range", (a, t) => a.Ones([6]).Split(2, 1), Range, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
        new("split sizes sum", (a, t) => a.Ones([6]).Split([1, 2]), Arg, "split_with_sizes expects split_sizes to sum exactly to 6 (input tensor's size at dimension 0), but got split_sizes=[1, 2]"),
        new("split sizes sum negative dim", (a, t) => a.Ones([6]).Split([1, 2], -1), Arg, "split_with_sizes expects split_sizes to sum exactly to 6 (input tensor's size at dimension -1), but got split_sizes=[1, 2]"),
        new("split sizes negative", (a, t) => a.Ones([6]).Split([7, -1]), Arg, "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=[7, -1]"),
        new("split sizes 0-dim", (a, t) => a.Scalar(1f).Split([1]), Arg, "split expects at least a 1-dimensional tensor"),
        new("split span too short", (a, t) => a.Ones([6]).Split(2, new Tensor[2]), Arg, "The destination holds 2 tensors, but the split makes 3; pass a span of at least 3."),
        new("chunk span too short", (a, t) => t.Chunk(2, new Tensor[1]), Arg, "The destination holds 1 tensors, but the split makes 2; pass a span of at least 2."),
        new("split sizes span too short", (a, t) => t.Split([1, 1], new Tensor[1]), Arg, "The destination holds 1 tensors, but the split makes 2; pass a span of at least 2."),

        // ---- handles: default, another arena, released
        new("default receiver", (a, t) => default(Tensor).Sum(), State, "This Tensor is default(Tensor)"),
        new("default operand", (a, t) => t + default(Tensor), State, "This Tensor is default(Tensor)"),
        new("default weight", (a, t) => Functional.Linear(t, default), State, "This Tensor is default(Tensor)"),
        new("default in cat", (a, t) => Functional.Cat([t, default]), State, "This Tensor is default(Tensor)"),
        new("default copy source", (a, t) => a.Ones([6]).CopyFrom(default(Tensor)), State, "This Tensor is default(Tensor)"),
        new("default gradient", (a, t) => { (t * 2f).Sum().Backward(default(Tensor)); return null; }, State, "This Tensor is default(Tensor)"),
        new("default size", (a, t) => default(Tensor).Size(0), State, "This Tensor is default(Tensor)"),
        new("foreign operand", (a, t) => t * Foreign(o => o.Ones([2, 3])), Arg, "Expected a tensor of this arena, but got one made by another arena."),
        new("foreign matmul", (a, t) => t.MatMul(Foreign(o => o.Ones([3, 2]))), Arg, "Expected a tensor of this arena, but got one made by another arena."),
        new("foreign bias", (a, t) => Functional.Linear(t, a.Ones([2, 3]), Foreign(o => o.Ones([2]))), Arg, "Expected a tensor of this arena, but got one made by another arena."),
        new("foreign in cat", (a, t) => Functional.Cat([t, Foreign(o => o.Ones([2, 3]))]), Arg, "Expected a tensor of this arena, but got one made by another arena."),
        new("foreign add in place", (a, t) => a.Ones([2, 3]).AddInPlace(Foreign(o => o.Ones([2, 3]))), Arg, "Expected a tensor of this arena, but got one made by another arena."),
        new("foreign gradient", (a, t) => { (t * 2f).Sum().Backward(Foreign(o => o.Scalar(1f))); return null; }, Arg, "Expected a tensor of this arena, but got one made by another arena."),
        new("released receiver", (a, t) => Released(a).Sum(), State, "This tensor (slot"),
        new("released operand", (a, t) => a.Ones([3]) + Released(a), State, "This tensor (slot"),

        // ---- flags and in-place updates
        new("retain_grad without grad", (a, t) => { a.Ones([2]).RetainGrad(); return null; }, State, "can't retain_grad on Tensor that has requires_grad=False"),
        new("requires_grad off on non-leaf", (a, t) => (t * 2f).SetRequiresGrad(false), State, "you can only change requires_grad flags of leaf variables."),
        new("in place on leaf", (a, t) => t.MulInPlace(float.NaN), State, "a leaf Variable that requires grad is being used in an in-place operation."),
        new("in place shape", (a, t) => a.Ones([2, 3]).AddInPlace(a.Ones([3, 2]), float.PositiveInfinity), Arg, "AddInPlace expects other to have this tensor's shape [2, 3], but got [3, 2]."),

        // ---- autograd entry points
        new("autograd no roots", (a, t) => { Autograd.Backward([]); return null; }, Arg, "backward expects at least one tensor, but got none."),
        new("autograd counts", (a, t) => { Autograd.Backward([(t * 2f).Sum()], [a.Scalar(1f), a.Scalar(1f)]); return null; }, Arg, "got 1 tensors and 2 gradients"),
        new("backward of non-scalar", (a, t) => { (t * 2f).Backward(); return null; }, State, "grad can be implicitly created only for scalar outputs"),
        new("backward without grad", (a, t) => { a.Ones([2]).Sum().Backward(); return null; }, State, "element 0 of tensors does not require grad and does not have a grad_fn"),

        // ---- math (issue 16). PyTorch 1.13 refuses no argument of these ops (softplus with beta 0 gives inf, hardtanh
        // with min > max gives max, elu takes any alpha: MathEdgeCaseTests pins those results); what remains are operands.
        new("minimum shapes", (a, t) => Functional.Minimum(t, a.Ones([2])), Arg, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
        new("maximum shapes", (a, t) => Functional.Maximum(t, a.Ones([4, 1, 2])), Arg, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 2"),
        new("maximum default operand", (a, t) => Functional.Maximum(t, default), State, "This Tensor is default(Tensor)"),
        new("minimum foreign operand", (a, t) => Functional.Minimum(t, Foreign(o => o.Ones([3]))), Arg, "Expected a tensor of this arena, but got one made by another arena."),
        new("maximum released operand", (a, t) => Functional.Maximum(a.Ones([3]), Released(a)), State, "This tensor (slot"),
        new("sin default receiver", (a, t) => default(Tensor).Sin(), State, "This Tensor is default(Tensor)"),
        new("softplus released receiver", (a, t) => Released(a).Softplus(2f, 10f), State, "This tensor (slot"),
        new("gelu released receiver", (a, t) => Released(a).Gelu(tanhApproximation: true), State, "This tensor (slot"),
        // ---- index (issue 16): index tensors are Int32 (PyTorch's gather and scatter ask for int64, which the engine does not
        // have, so their dtype messages name int32); out-of-range indices, negative ones included, are ArgumentOutOfRangeException
        new("index_select index out of range", (a, t) => t.IndexSelect(1, a.FromData([0, 3], [2])), Range, "index out of range in self"),
        new("index_select negative index", (a, t) => t.IndexSelect(0, a.FromData([-1], [1])), Range, "index out of range in self"),
        new("index_select dim", (a, t) => t.IndexSelect(2, a.FromData([0], [1])), Range, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        new("index_select float index", (a, t) => t.IndexSelect(0, a.Ones([1])), Arg, "index_select(): Expected dtype int32 for index"),
        new("index_select 2-D index", (a, t) => t.IndexSelect(0, a.FromData([0, 1], [1, 2])), Arg, "index_select(): Index is supposed to be a vector"),
        new("index_select scalar with 2 indices", (a, t) => a.Scalar(1f).IndexSelect(0, a.FromData([0, 0], [2])), Arg,
            "index_select(): Index to scalar can have only 1 value, got 2 value(s)"),
        new("gather index out of range", (a, t) => t.Gather(1, a.FromData([0, 5], [1, 2])), Range, "index 5 is out of bounds for dimension 1 with size 3"),
        new("gather negative index", (a, t) => t.Gather(1, a.FromData([0, -1], [1, 2])), Range, "index -1 is out of bounds for dimension 1 with size 3"),
        new("gather dim", (a, t) => t.Gather(-3, a.FromData([0], [1, 1])), Range, "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
        new("gather rank", (a, t) => t.Gather(1, a.FromData([0, 1], [2])), Arg, "Index tensor must have the same number of dimensions as input tensor"),
        new("gather size", (a, t) => t.Gather(1, a.FromData([0, 0, 0], [3, 1])), Arg,
            "Size does not match at dimension 0 expected index [3, 1] to be smaller than self [2, 3] apart from dimension 1"),
        new("gather float index", (a, t) => t.Gather(1, a.Zeros([2, 1])), Arg, "gather(): Expected dtype int32 for index"),
        new("scatter_add index out of range", (a, t) => t.ScatterAdd(1, a.FromData([0, 4], [1, 2]), a.Ones([1, 2])), Range,
            "index 4 is out of bounds for dimension 1 with size 3"),
        new("scatter_add source smaller than index", (a, t) => t.ScatterAdd(1, a.FromData([0, 1, 2], [1, 3]), a.Ones([1, 2])), Arg,
            "Expected index [1, 3] to be smaller than self [2, 3] apart from dimension 1 and to be smaller size than src [1, 2]"),
        new("scatter_add index rank", (a, t) => t.ScatterAdd(1, a.FromData([0], [1]), a.Ones([1, 1])), Arg,
            "Index tensor must have the same number of dimensions as self tensor"),
        new("scatter_add int source", (a, t) => t.ScatterAdd(1, a.FromData([0], [1, 1]), a.FromData([1], [1, 1])), Arg,
            "scatter(): Expected self.dtype to be equal to src.dtype"),
        new("scatter_add float index", (a, t) => t.ScatterAdd(1, a.Zeros([1, 1]), a.Ones([1, 1])), Arg, "scatter(): Expected dtype int32 for index"),
        new("masked_fill float mask", (a, t) => t.MaskedFill(a.Ones([2, 3]), 0f), Arg, "masked_fill only supports boolean masks, but got mask with dtype Float"),
        new("masked_fill mask shape", (a, t) => t.MaskedFill(a.FromData([true, false], [2]), 0f), Arg,
            "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1"),
        new("masked_fill int self", (a, t) => a.FromData([1, 2], [2]).MaskedFill(a.FromData([true, false], [2]), 0f), Arg,
            "expected scalar type Float32 but found Int32"),
        new("where float condition", (a, t) => Functional.Where(a.Ones([2, 3]), t, t), Arg,
            "where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
        new("where int condition", (a, t) => Functional.Where(a.FromData([1], [1]), t, 0f), Arg,
            "where expected condition to be a boolean tensor, but got a tensor with dtype Int"),
        new("where dtypes", (a, t) => Functional.Where(a.FromData([true], [1]), t, a.FromData([1], [1])), Arg, "expected scalar type Float32 but found Int32"),
        new("where shapes", (a, t) => Functional.Where(a.FromData([true, false], [2]), t, t), Arg,
            "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1"),
        new("eq shapes", (a, t) => t.Eq(a.Ones([2])), Arg, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
        new("lt dtypes", (a, t) => a.FromData([1], [1]).Lt(t), Arg, "expected scalar type Int32 but found Float32"),
        new("logical_or shapes", (a, t) => t.LogicalOr(a.Ones([4])), Arg, "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
        new("cross_entropy target tensor out of range", (a, t) => Functional.CrossEntropy(t, a.FromData([0, 3], [2])), Range, "Target 3 is out of bounds."),
        new("nll_loss target tensor negative", (a, t) => Functional.NllLoss(t, a.FromData([-1, 0], [2])), Range, "Target -1 is out of bounds."),
        new("cross_entropy 2-D class targets", (a, t) => Functional.CrossEntropy(t, a.FromData([0, 1], [2, 1])), Arg,
            "0D or 1D target tensor expected, multi-target not supported"),
        new("cross_entropy target count", (a, t) => Functional.CrossEntropy(t, a.FromData([0, 1, 2], [3])), Arg,
            "Expected input batch_size (2) to match target batch_size (3)."),
        new("cross_entropy probability shape", (a, t) => Functional.CrossEntropy(t, a.Ones([2, 4])), Arg,
            "0D or 1D target tensor expected, multi-target not supported"),
        new("nll_loss bool targets", (a, t) => Functional.NllLoss(t, a.FromData([true, false], [2])), Arg, "expected scalar type Int32 but found Bool"),
        // ---- convolution and pooling (issue 18): PyTorch 1.13's messages
        new("conv2d rank", (a, t) => Functional.Conv2d(t, a.Ones([4, 2, 3, 3])), Arg, "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"),
        new("conv2d kernel larger than input", (a, t) => Functional.Conv2d(t.Reshape(1, 1, 2, 3), a.Ones([1, 1, 3, 3])), Arg,
            "Calculated padded input size per channel: (2 x 3). Kernel size: (3 x 3). Kernel size can't be greater than actual input size"),
        new("conv2d channels", (a, t) => Functional.Conv2d(t.Reshape(1, 2, 1, 3), a.Ones([4, 3, 1, 1])), Arg,
            "Given groups=1, weight of size [4, 3, 1, 1], expected input[1, 2, 1, 3] to have 3 channels, but got 2 channels instead"),
        new("conv2d groups not dividing", (a, t) => Functional.Conv2d(t.Reshape(1, 2, 1, 3), a.Ones([3, 1, 1, 1]), groups: 2), Arg,
            "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [[3, 1, 1, 1]] instead"),
        new("conv2d fewer filters than groups", (a, t) => Functional.Conv2d(t.Reshape(1, 2, 1, 3), a.Ones([1, 2, 1, 1]), groups: 2), Arg,
            "Given groups=2, expected weight to be at least 2 at dimension 0, but got weight of size [1, 2, 1, 1] instead"),
        new("conv2d bias", (a, t) => Functional.Conv2d(t.Reshape(1, 2, 1, 3), a.Ones([4, 2, 1, 1]), a.Ones([3])), Arg,
            "Given weight of size [4, 2, 1, 1], expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead"),
        new("conv2d zero stride", (a, t) => Functional.Conv2d(t.Reshape(1, 2, 1, 3), a.Ones([4, 2, 1, 1]), null, 0), Arg, "non-positive stride is not supported"),
        new("conv1d rank", (a, t) => Functional.Conv1d(a.Ones([5]), a.Ones([4, 4, 3])), Arg, "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [5]"),
        new("conv1d kernel larger than input", (a, t) => Functional.Conv1d(t.Reshape(1, 2, 3), a.Ones([2, 2, 4])), Arg,
            "Calculated padded input size per channel: (3). Kernel size: (4). Kernel size can't be greater than actual input size"),
        new("max_pool2d padding above half the kernel", (a, t) => Functional.MaxPool2d(t.Reshape(1, 1, 2, 3), 3, 1, 2), Arg,
            "pad should be at most half of kernel size, but got pad=2 and kernel_size=3"),
        new("max_pool2d window larger than input", (a, t) => Functional.MaxPool2d(t.Reshape(1, 1, 2, 3), 3), Arg,
            "Given input size: (1x2x3). Calculated output size: (1x0x1). Output size is too small"),
        new("max_pool2d rank", (a, t) => Functional.MaxPool2d(t, 2), Arg, "non-empty 3D or 4D (batch mode) tensor expected for input"),
        new("avg_pool2d negative padding", (a, t) => Functional.AvgPool2d(t.Reshape(1, 1, 2, 3), 2, 1, -1), Arg, "pad must be non-negative, but got pad: -1"),
        new("avg_pool2d zero kernel", (a, t) => Functional.AvgPool2d(t.Reshape(1, 1, 2, 3), 0, 1), Arg, "kernel size should be greater than zero, but got kH: 0 kW: 0"),
        new("adaptive_avg_pool2d empty dim", (a, t) => Functional.AdaptiveAvgPool2d(a.Ones([1, 1, 0, 4]), (2, 2)), Arg,
            "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes [1, 1, 0, 4] with dimension 2 being empty"),
        new("unfold window larger than input", (a, t) => Functional.Unfold(t.Reshape(1, 1, 2, 3), 3), Arg,
            "Given input with spatial size (2, 2), kernel_size=(3, 3), dilation=(1, 1), padding=(0, 0), calculated shape of the array of sliding blocks as (0, 1), but its components must be at least one."),
        new("fold block count", (a, t) => Functional.Fold(a.Ones([1, 4, 8]), (4, 4), (2, 2)), Arg,
            "Given output_size=(4, 4), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, 1), expected size of input's dimension 2 to match the calculated number of sliding blocks 3 * 3 = 9, but got input.size(2)=8."),
        // normalization and attention (issue 18)
        new("layer_norm shape", (a, t) => Functional.LayerNorm(t, [4]), Arg, "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]"),
        new("layer_norm longer shape", (a, t) => Functional.LayerNorm(t, [1, 2, 3]), Arg, "Given normalized_shape=[1, 2, 3], expected input with shape [*, 1, 2, 3], but got input of size[2, 3]"),
        new("layer_norm empty shape", (a, t) => Functional.LayerNorm(t, []), Arg,
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []"),
        new("layer_norm bias shape", (a, t) => Functional.LayerNorm(t, [3], a.Ones([3]), a.Ones([2, 3])), Arg,
            "Expected bias to be of same shape as normalized_shape, but got bias of shape [2, 3] and normalized_shape = [3]"),
        new("layer_norm int input", (a, t) => Functional.LayerNorm(a.FromData([1, 2, 3], [3]), [3]), Arg, "expected scalar type Float32 but found Int32"),
        new("layer_norm released weight", (a, t) => Functional.LayerNorm(t, [3], Released(a)), State, "This tensor (slot"),
        new("sdpa causal with mask", (a, t) => Functional.ScaledDotProductAttention(t, t, t, a.Ones([2, 2]), isCausal: true), Arg,
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"),
        new("sdpa vector query", (a, t) => Functional.ScaledDotProductAttention(a.Ones([3]), t, t), Arg,
            "Dimension out of range (expected to be in range of [-1, 0], but got -2)"),
        new("sdpa int mask", (a, t) => Functional.ScaledDotProductAttention(t, t, t, a.FromData([1, 0, 1, 1], [2, 2])), Arg,
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: int and  query.dtype: float instead."),
        new("sdpa key width", (a, t) => Functional.ScaledDotProductAttention(t, a.Ones([2, 4]), t), Arg,
            "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)"),
        // recurrent cells (issue 18): t is a [2, 3] input; PyTorch's ATen messages
        new("gru_cell input size", (a, t) => Functional.GruCell(t, a.Zeros([2, 4]), a.Ones([12, 4]), a.Ones([12, 4])), Arg,
            "input has inconsistent input_size: got 3 expected 4"),
        new("gru_cell hidden batch", (a, t) => Functional.GruCell(t, a.Zeros([1, 4]), a.Ones([12, 3]), a.Ones([12, 4])), Arg,
            "Input batch size 2 doesn't match hidden0 batch size 1"),
        new("gru_cell 3-D input", (a, t) => Functional.GruCell(t.Unsqueeze(0), a.Zeros([1, 4]), a.Ones([12, 3]), a.Ones([12, 4])), Arg,
            "Expected input to be 2-D but received 3-D tensor"),
        new("gru_cell weight shapes", (a, t) => Functional.GruCell(t, a.Zeros([2, 4]), a.Ones([12, 3]), a.Ones([8, 4])), Arg,
            "The cell's weights must be [3·hidden_size, input_size] and [3·hidden_size, hidden_size], but got [12, 3] and [8, 4]."),
        new("lstm_cell hidden size", (a, t) => Functional.LstmCell(t, (a.Zeros([2, 5]), a.Zeros([2, 4])), a.Ones([16, 3]), a.Ones([16, 4])), Arg,
            "hidden0 has inconsistent hidden_size: got 5, expected 4"),
        new("lstm_cell cell batch", (a, t) => Functional.LstmCell(t, (a.Zeros([2, 4]), a.Zeros([3, 4])), a.Ones([16, 3]), a.Ones([16, 4])), Arg,
            "Input batch size 2 doesn't match hidden0 batch size 3"),
        // normalization and embeddings (issue 18)
        new("batch_norm running_mean size", (a, t) => Functional.BatchNorm(t, a.Zeros([2]), a.Ones([3]), training: true), Arg, "running_mean should contain 3 elements not 2"),
        new("batch_norm weight size", (a, t) => Functional.BatchNorm(t, null, null, a.Ones([4]), training: true), Arg, "weight should contain 3 elements not 4"),
        new("batch_norm bias size", (a, t) => Functional.BatchNorm(t, null, null, null, a.Ones([2]), training: true), Arg, "bias should contain 3 elements not 2"),
        new("batch_norm eval without stats", (a, t) => Functional.BatchNorm(t, null, null), Arg, "running_mean must be defined in evaluation mode"),
        new("batch_norm one value per channel", (a, t) => Functional.BatchNorm(t.Narrow(0, 0, 1), null, null, training: true), Arg,
            "Expected more than 1 value per channel when training, got input size torch.Size([1, 3])"),
        new("batch_norm 1-D input", (a, t) => Functional.BatchNorm(a.Ones([3]), null, null, training: true), Arg, "batch_norm expects an input of shape [N, C, ...]"),
        new("batch_norm int input", (a, t) => Functional.BatchNorm(a.FromData([1, 2, 3, 4], [2, 2]), null, null, training: true), Arg, "expected scalar type Float32 but found Int32"),
        new("batch_norm int counter", (a, t) => Functional.BatchNorm(t, a.Zeros([3]), a.Ones([3]), null, null, true, 0.1f, 1e-5f, a.Zeros([1])), Arg, "expected scalar type Int32 but found Float32"),
        new("embedding index out of range", (a, t) => Functional.Embedding(a.FromData([0, 2], [2]), t), Range, "index out of range in self"),
        new("embedding negative index", (a, t) => Functional.Embedding(a.FromData([-1], [1]), t), Range, "index out of range in self"),
        new("embedding float index", (a, t) => Functional.Embedding(a.Ones([2]), t), Arg, "Expected tensor for argument #1 'indices'"),
        new("embedding padding index", (a, t) => Functional.Embedding(a.FromData([0], [1]), t, paddingIdx: 2), Range, "Padding_idx must be within num_embeddings"),
        new("embedding 1-D weight", (a, t) => Functional.Embedding(a.FromData([0], [1]), a.Ones([3])), Arg, "'weight' must be 2-D"),
    ];

    [TestCaseSource(nameof(Calls))]
    public void HostileCall_ThrowsClearError_AndLeavesArenaIntact(Hostile bad)
    {
        using var arena = new Arena();
        Tensor t = arena.FromData([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], requiresGrad: true);
        Tensor kept = (t * t).Sum();
        int tensors = arena.TensorCount, tape = arena.TapeLength;
        long gradientBytes = arena.GradientBytes;

        Exception? thrown;
        using (arena.Scope()) thrown = Assert.Catch(() => bad.Call(arena, t));
        Assert.That(thrown, Is.TypeOf(bad.Exception), thrown?.ToString());
        Assert.That(thrown!.Message, Does.StartWith(bad.Message));

        Assert.That(arena.TensorCount, Is.EqualTo(tensors), "tensor table");
        Assert.That(arena.TapeLength, Is.EqualTo(tape), "tape");
        Assert.That(arena.GradientBytes, Is.EqualTo(gradientBytes), "gradient bytes");
        kept.Backward();
        Assert.That(t.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 4f, 6f, 8f, 10f, 12f }));
    }

    [Test]
    public void ZeroDimAndEmptyTensors_ThroughEveryOp_GivePyTorchsResults()
    {
        using var arena = new Arena();
        // transpose(0, 0) and (-1, -1) of a 0-d tensor are allowed (PyTorch: tensor(2.)), and backward gives 1.
        Tensor s = arena.Scalar(2f, requiresGrad: true);
        Tensor st = s.Transpose(0, 0);
        Assert.That(st.Item(), Is.EqualTo(2f));
        (st + s.Transpose(-1, -1)).Backward();
        Assert.That(s.Grad!.Value.Item(), Is.EqualTo(2f));

        // Reductions of empty tensors: sum 0, mean NaN, along an empty dim as well.
        Tensor e = arena.Zeros([0, 3], requiresGrad: true);
        Assert.That(e.Sum().Item(), Is.EqualTo(0f));
        Assert.That(e.Mean().Item(), Is.NaN);
        Assert.That(e.Sum(0).ToArray(), Is.EqualTo(new float[3]));
        Assert.That(e.Mean(0).ToArray(), Is.All.NaN);
        Assert.That(e.Sum(1).Shape.ToArray(), Is.EqualTo((int[])[0]));
        Assert.That(e.Softmax(0).Count, Is.EqualTo(0));
        Assert.That(e.MatMul(arena.Ones([3, 0])).Shape.ToArray(), Is.EqualTo((int[])[0, 0]));
        Assert.That(arena.Ones([3, 0]).MatMul(arena.Ones([0, 2])).ToArray(), Is.EqualTo(new float[6]));
        (e.Sum() + e.Exp().Mean(1).Sum()).Backward();
        Assert.That(e.Grad!.Value.Shape.ToArray(), Is.EqualTo((int[])[0, 3]));

        // Large but legal empty shapes: strides fit.
        Assert.That((arena.Zeros([0, 46340, 46340]) + arena.Zeros([1])).Shape.ToArray(), Is.EqualTo((int[])[0, 46340, 46340]));
        Assert.That(Functional.Cat([arena.Zeros([0, 1 << 29]), arena.Zeros([0, 1 << 29])], 1).Shape.ToArray(), Is.EqualTo((int[])[0, 1 << 30]));

        // arange with an infinite step: PyTorch gives an empty tensor.
        Assert.That(arena.Arange(0f, 10f, float.PositiveInfinity).Count, Is.EqualTo(0));
    }
}
