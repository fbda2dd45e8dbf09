using System.Runtime.CompilerServices;
using ArenaGrad.Testing;
using CommunityToolkit.HighPerformance;

namespace ArenaGrad.Tests.Embedding;

/// <summary>Values in and out of spans without allocating: CopyFrom(span), CopyTo(span), and 2-D views.</summary>
[NonParallelizable]
public sealed class SpanCopyTests
{
    private const string LeafMessage = "a leaf Variable that requires grad is being used in an in-place operation.";

    [Test]
    public void CopyFromSpan_CopiesRowMajor_BumpsTheVersion_AndReturnsTheTensor()
    {
        using var arena = new Arena();
        Tensor t = arena.Zeros([2, 3]);
        int version = arena.VersionOf(t.Slot);
        Tensor returned = t.CopyFrom([1f, 2f, 3f, 4f, 5f, 6f]);
        Assert.That(returned.Equals(t), Is.True);
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
        Assert.That(arena.VersionOf(t.Slot), Is.EqualTo(version + 1));
    }

    [Test]
    public void CopyFromSpan_OfTheWrongLength_ThrowsAndChangesNothing()
    {
        using var arena = new Arena();
        Tensor t = arena.Ones([2, 3]);
        int version = arena.VersionOf(t.Slot);
        Assert.That(() => t.CopyFrom(new float[5]), Throws.ArgumentException.With.Message.StartWith(
            "CopyFrom expects 6 elements (shape [2, 3]), but the span has 5."));
        Assert.That(() => t.CopyFrom(new float[7]), Throws.ArgumentException.With.Message.StartWith(
            "CopyFrom expects 6 elements (shape [2, 3]), but the span has 7."));
        Assert.That(t.ToArray(), Is.EqualTo(Enumerable.Repeat(1f, 6)));
        Assert.That(arena.VersionOf(t.Slot), Is.EqualTo(version));
    }

    [Test]
    public void CopyFromSpan_FollowsTheInPlaceRulesOfCopyFromTensor()
    {
        using var arena = new Arena();
        Tensor leaf = arena.Zeros([2], requiresGrad: true);
        Assert.That(() => leaf.CopyFrom([1f, 2f]), Throws.InvalidOperationException.With.Message.EqualTo(LeafMessage));
        Assert.That(() => leaf.CopyFrom(arena.Ones([2])), Throws.InvalidOperationException.With.Message.EqualTo(LeafMessage));
        using (arena.NoGrad()) leaf.CopyFrom([1f, 2f]);
        Assert.That(leaf.ToArray(), Is.EqualTo(new[] { 1f, 2f }));

        Tensor nonLeaf = leaf * 2f;
        Assert.That(() => nonLeaf.CopyFrom([0f, 0f]), Throws.TypeOf<NotSupportedException>());

        Tensor noGradView;
        using (arena.NoGrad()) noGradView = leaf.Reshape(2);
        Assert.That(() => noGradView.CopyFrom([5f, 5f]), Throws.InvalidOperationException.With.Message.StartWith(
            "A view was created in no_grad mode and is being modified inplace with grad mode enabled."));
    }

    [Test]
    public void CopyFromSpan_AfterBackwardSavedTheTensor_IsCaughtByTheVersionCheck()
    {
        using var arena = new Arena();
        Tensor w = arena.Ones([2], requiresGrad: true);
        Tensor x = arena.FromData([3f, 4f]);
        Tensor loss = (w * x).Sum();
        x.CopyFrom([0f, 0f]);
        Assert.That(() => loss.Backward(), Throws.InvalidOperationException.With.Message.StartWith(
            "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]] is at version 1; expected version 0 instead."));
    }

    [Test]
    public void CopyFromSpan_OverlappingTheTensorsOwnValues_CopiesAsMemmove()
    {
        using var arena = new Arena();
        Tensor t = arena.Range(1, 4);
        t.CopyFrom(arena.Range(1, 4).AsSpanUnsafely()); // another tensor: no overlap
        ReadOnlySpan<float> own = t.AsSpanUnsafely();
        t.CopyFrom(own);
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
    }

    [Test]
    public void CopyTo_IntoAShortDestination_ThrowsSayingWhatWasNeeded_AndALongerOneKeepsItsTail()
    {
        using var arena = new Arena();
        Tensor t = arena.Range(1, 6).Reshape(2, 3);
        Assert.That(() => t.CopyTo(new float[5]), Throws.ArgumentException.With.Message.StartWith(
            "CopyTo expects a destination of at least 6 elements (shape [2, 3]), but it has 5."));
        var longer = Enumerable.Repeat(-1f, 8).ToArray();
        t.CopyTo(longer);
        Assert.That(longer, Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f, -1f, -1f }));
    }

    [Test]
    public void CopyFromAndCopyTo_AllocateNothing()
    {
        using var arena = new Arena();
        Tensor t = arena.Zeros([4, 8]);
        float[] buffer = Enumerable.Range(0, 32).Select(i => (float)i).ToArray();
        float[] back = new float[32];
        Assert.That(() => RoundTrip(t, buffer, back), Allocates.Nothing);
        Assert.That(back, Is.EqualTo(buffer));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RoundTrip(Tensor t, float[] source, float[] destination)
    {
        t.CopyFrom(source);
        t.CopyTo(destination);
    }

    [Test]
    public void AsSpan2DUnsafely_IndexesRowsAndColumns_AndWritesLandInTheTensor()
    {
        using var arena = new Arena();
        Tensor t = arena.Range(1, 6).Reshape(2, 3);
        Span2D<float> span = t.AsSpan2DUnsafely();
        Assert.That((span.Height, span.Width), Is.EqualTo((2, 3)));
        Assert.That(span[1, 0], Is.EqualTo(4f));
        Assert.That(span.GetRowSpan(1).ToArray(), Is.EqualTo(new[] { 4f, 5f, 6f }));
        span[0, 2] = 30f;
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1f, 2f, 30f, 4f, 5f, 6f }));
        ReadOnlySpan2D<float> read = t.AsReadOnlySpan2DUnsafely();
        Assert.That((read.Height, read.Width, read[0, 2]), Is.EqualTo((2, 3, 30f)));
    }

    [Test]
    public void AsSpan2DUnsafely_OfAnEmptyMatrix_IsEmpty()
    {
        using var arena = new Arena();
        Span2D<float> span = arena.Zeros([0, 3]).AsSpan2DUnsafely();
        Assert.That((span.Height, span.Width, span.IsEmpty), Is.EqualTo((0, 3, true)));
    }

    [Test]
    public void AsSpan2DUnsafely_OfANonMatrix_ThrowsNamingTheShape()
    {
        using var arena = new Arena();
        Assert.That(() => arena.Zeros([2, 3, 4]).AsSpan2DUnsafely(), Throws.InvalidOperationException.With.Message.EqualTo(
            "AsSpan2DUnsafely expects a 2-D tensor, but got a 3-D tensor of shape [2, 3, 4]. Reshape it to 2-D first (e.g. Reshape(-1, lastDim)), or use AsSpanUnsafely for any shape."));
        Assert.That(() => arena.Zeros([6]).AsReadOnlySpan2DUnsafely(), Throws.InvalidOperationException.With.Message.StartWith(
            "AsReadOnlySpan2DUnsafely expects a 2-D tensor, but got a 1-D tensor of shape [6]."));
        Assert.That(() => arena.Scalar(1f).AsSpan2DUnsafely(), Throws.InvalidOperationException.With.Message.StartWith(
            "AsSpan2DUnsafely expects a 2-D tensor, but got a 0-D tensor of shape []."));
    }

    [Test]
    public void AsSpan2D_AllocatesNothing()
    {
        using var arena = new Arena();
        Tensor t = arena.Ones([3, 5]);
        float total = 0;
        Assert.That(() => { total = SumOf2D(t); }, Allocates.Nothing);
        Assert.That(total, Is.EqualTo(30f));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float SumOf2D(Tensor t)
    {
        Span2D<float> span = t.AsSpan2DUnsafely();
        ReadOnlySpan2D<float> read = t.AsReadOnlySpan2DUnsafely();
        float sum = 0;
        for (int r = 0; r < span.Height; r++)
            for (int c = 0; c < span.Width; c++) sum += span[r, c] + read[r, c];
        return sum;
    }
}
