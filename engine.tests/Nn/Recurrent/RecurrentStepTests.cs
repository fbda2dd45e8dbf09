using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Nn.Recurrent;

/// <summary>The per-frame Step's in-place path (Kernels.RecurrentStep): bit for bit Forward's result for every size and
/// batch, the general path's messages and refusals for what it does not take, the version counter, aliasing, and 0 B.
/// The path calls the kernels Forward calls, so each instruction set is reached by running this class under
/// DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0 (as CI does).</summary>
[TestFixture]
[NonParallelizable] // allocation measurements
public sealed class RecurrentStepTests
{
    private static int[] Bits(Tensor t) => [.. t.ToArray().Select(BitConverter.SingleToInt32Bits)];

    private static void Fill(Arena arena, Tensor t, int seed)
    {
        var random = new Random(seed);
        t.CopyFrom([.. Enumerable.Range(0, t.Count).Select(_ => (float)(random.NextDouble() * 4 - 2))]);
    }

    private static IEnumerable<TestCaseData> SizesAndBatches()
    {
        foreach (int batch in new[] { 1, 3 })
            for (int size = 1; size <= 70; size++)
                yield return new TestCaseData(size, batch);
        yield return new TestCaseData(40, 9); // 9 rows: the packed product
        yield return new TestCaseData(70, 20); // gi and gh too large for the stack: the general path
    }

    [TestCaseSource(nameof(SizesAndBatches))]
    public void GruCellStep_IsForward_BitForBit(int size, int batch)
    {
        using var arena = new Arena(new ArenaOptions { Seed = (ulong)size });
        int input = size % 3 == 0 ? size + 5 : size; // input = hidden, and a few other input sizes
        foreach (bool bias in new[] { true, false })
        {
            var cell = new GRUCell(arena, input, size, bias);
            Tensor x = arena.Zeros([batch, input]), state = arena.Zeros([batch, size]), before = arena.Zeros([batch, size]);
            for (int frame = 0; frame < 3; frame++)
            {
                Fill(arena, x, 10 * size + frame);
                before.CopyFrom(state);
                cell.Step(x, state);
                using (arena.Scope())
                {
                    Assert.That(Bits(state), Is.EqualTo(Bits(cell.Forward(x, before))), $"frame {frame}, bias {bias}");
                    if (batch == 1)
                        using (arena.NoGrad())
                            Assert.That(Bits(state), Is.EqualTo(Bits(cell.Forward(x.Squeeze(0), before.Squeeze(0)))), "unbatched");
                }
            }
            if (batch == 1)
            {
                Tensor x1 = arena.Zeros([input]), h1 = arena.Zeros([size]), copy = arena.Zeros([size]);
                Fill(arena, x1, size);
                Fill(arena, h1, size + 1);
                copy.CopyFrom(h1);
                cell.Step(x1, h1);
                using (arena.Scope()) Assert.That(Bits(h1), Is.EqualTo(Bits(cell.Forward(x1, copy))), "unbatched step");
            }
        }
    }

    [TestCaseSource(nameof(SizesAndBatches))]
    public void LstmCellStep_IsForward_BitForBit(int size, int batch)
    {
        using var arena = new Arena(new ArenaOptions { Seed = (ulong)size });
        int input = size % 3 == 0 ? size + 5 : size;
        foreach (bool bias in new[] { true, false })
        {
            var cell = new LSTMCell(arena, input, size, bias);
            Tensor x = arena.Zeros([batch, input]);
            (Tensor H, Tensor C) state = (arena.Zeros([batch, size]), arena.Zeros([batch, size]));
            (Tensor H, Tensor C) before = (arena.Zeros([batch, size]), arena.Zeros([batch, size]));
            for (int frame = 0; frame < 3; frame++)
            {
                Fill(arena, x, 10 * size + frame);
                before.H.CopyFrom(state.H);
                before.C.CopyFrom(state.C);
                cell.Step(x, state);
                using (arena.Scope())
                {
                    (Tensor h, Tensor c) = cell.Forward(x, before);
                    Assert.That(Bits(state.H), Is.EqualTo(Bits(h)), $"h, frame {frame}, bias {bias}");
                    Assert.That(Bits(state.C), Is.EqualTo(Bits(c)), $"c, frame {frame}, bias {bias}");
                }
            }
        }
    }

    [TestCase(1, 5, 7, false)]
    [TestCase(2, 3, 7, false)]
    [TestCase(3, 32, 32, true)]
    [TestCase(2, 64, 64, false)]
    public void GruAndLstmStep_AreAOneStepForward_BitForBit(int layers, int input, int hidden, bool batchFirst)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        var gru = new GRU(arena, input, hidden, layers, batchFirst: batchFirst);
        var lstm = new LSTM(arena, input, hidden, layers, batchFirst: batchFirst);
        foreach (int batch in new[] { 1, 3, 0 }) // 0: unbatched
        {
            int[] xShape = batch == 0 ? [input] : [batch, input];
            int[] sShape = batch == 0 ? [layers, hidden] : [layers, batch, hidden];
            Tensor x = arena.Zeros(xShape), h = arena.Zeros(sShape), c = arena.Zeros(sShape);
            Tensor gruState = arena.Zeros(sShape);
            (Tensor H, Tensor C) lstmState = (arena.Zeros(sShape), arena.Zeros(sShape));
            for (int frame = 0; frame < 3; frame++)
            {
                Fill(arena, x, frame);
                h.CopyFrom(gruState);
                gru.Step(x, gruState);
                using (arena.Scope())
                using (arena.NoGrad())
                {
                    Tensor sequence = batch != 0 && batchFirst ? x.Unsqueeze(1) : x.Unsqueeze(0);
                    Assert.That(Bits(gruState), Is.EqualTo(Bits(gru.Forward(sequence, h).HN)), $"GRU batch {batch}, frame {frame}");
                }
                h.CopyFrom(lstmState.H);
                c.CopyFrom(lstmState.C);
                lstm.Step(x, lstmState);
                using (arena.Scope())
                {
                    Tensor sequence = batch != 0 && batchFirst ? x.Unsqueeze(1) : x.Unsqueeze(0);
                    (Tensor _, (Tensor hn, Tensor cn)) = lstm.Forward(sequence, (h, c));
                    Assert.That(Bits(lstmState.H), Is.EqualTo(Bits(hn)), $"LSTM h, batch {batch}, frame {frame}");
                    Assert.That(Bits(lstmState.C), Is.EqualTo(Bits(cn)), $"LSTM c, batch {batch}, frame {frame}");
                }
            }
        }
    }

    [Test]
    public void Step_WithWhatForwardRefuses_GivesForwardsMessage_AndLeavesTheStateAlone()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var gru = new GRUCell(arena, 3, 4);
        var lstm = new LSTMCell(arena, 3, 4);
        var layer = new GRU(arena, 3, 4, numLayers: 2);
        Tensor state = arena.Ones([1, 4]);
        (Tensor H, Tensor C) pair = (arena.Ones([1, 4]), arena.Ones([1, 4]));
        Tensor layerState = arena.Ones([2, 1, 4]);
        foreach (Tensor x in new[] { arena.Ones([1, 5]), arena.Ones([2, 3]), arena.Ones([1, 1, 3]), arena.Ones([1, 3], DType.Int32) })
        {
            string? expected = Message(() => { using (arena.Scope()) gru.Forward(x, state); });
            Assert.That(expected, Is.Not.Null);
            Assert.That(Message(() => gru.Step(x, state)), Is.EqualTo(expected));
            Assert.That(state.ToArray(), Is.All.EqualTo(1f));
            expected = Message(() => { using (arena.Scope()) lstm.Forward(x, pair); });
            Assert.That(Message(() => lstm.Step(x, pair)), Is.EqualTo(expected));
            Assert.That(pair.H.ToArray().Concat(pair.C.ToArray()), Is.All.EqualTo(1f));
            expected = Message(() => { using (arena.Scope()) layer.Forward(x.Unsqueeze(0), layerState); });
            Assert.That(Message(() => layer.Step(x, layerState)), Is.EqualTo(expected));
            Assert.That(layerState.ToArray(), Is.All.EqualTo(1f));
        }
        Tensor released;
        using (arena.Scope()) released = arena.Ones([1, 4]);
        Assert.Throws<InvalidOperationException>(() => gru.Step(arena.Ones([1, 3]), released));
        Assert.That(Message(() => gru.Step(arena.Ones([1, 3]), arena.Ones([1, 5]))),
            Is.EqualTo("ArgumentException: hidden0 has inconsistent hidden_size: got 5, expected 4 (Parameter 'hx')"));
    }

    private static string? Message(Action action)
    {
        try { action(); }
        catch (Exception e) { return e.GetType().Name + ": " + e.Message; }
        return null;
    }

    [Test]
    public void Step_BumpsTheStatesVersion_AsCopyFromDid()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var gru = new GRUCell(arena, 3, 4);
        var lstm = new LSTMCell(arena, 3, 4);
        Tensor x = arena.Ones([1, 3]), h = arena.Zeros([1, 4]);
        (Tensor H, Tensor C) pair = (arena.Zeros([1, 4]), arena.Zeros([1, 4]));
        int version = arena.VersionOf(h.Slot), hv = arena.VersionOf(pair.H.Slot), cv = arena.VersionOf(pair.C.Slot);
        gru.Step(x, h);
        lstm.Step(x, pair);
        Assert.That(arena.VersionOf(h.Slot), Is.EqualTo(version + 1));
        Assert.That(arena.VersionOf(pair.H.Slot), Is.EqualTo(hv + 1));
        Assert.That(arena.VersionOf(pair.C.Slot), Is.EqualTo(cv + 1));
    }

    [Test]
    public void Step_WithTheStateAsItsInput_OrOneTensorForHAndC_IsWhatTheGeneralStepGives()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        var gru = new GRUCell(arena, 5, 5);
        var lstm = new LSTMCell(arena, 5, 5);
        Tensor h = arena.Zeros([1, 5]), copy = arena.Zeros([1, 5]);
        Fill(arena, h, 1);
        copy.CopyFrom(h);
        gru.Step(h, h); // x is the state: read before it is written
        using (arena.Scope()) Assert.That(Bits(h), Is.EqualTo(Bits(gru.Forward(copy, copy))));
        Tensor both = arena.Zeros([1, 5]);
        Fill(arena, both, 2);
        copy.CopyFrom(both);
        lstm.Step(h, (both, both)); // h and c one tensor: the general step copies h', then c'
        using (arena.Scope()) Assert.That(Bits(both), Is.EqualTo(Bits(lstm.Forward(h, (copy, copy)).C)));
    }

    [Test]
    public void Step_WhileCapturing_IsRefusedAsBefore()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        var gru = new GRUCell(arena, 2, 3);
        Tensor h = arena.Zeros([1, 3]);
        using (arena.Scope())
            Assert.Throws<InvalidOperationException>(() => arena.Capture(arena.Ones([1, 2]), x => gru.Step(x, h)));
        Assert.That(h.ToArray(), Is.All.EqualTo(0f));
    }

    [TestCase(32)]
    [TestCase(64)]
    public void Steps_AtBatchOne_AllocateNothing_AndTheArenaDoesNotGrow(int size)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var gru = new GRUCell(arena, size, size);
        var lstm = new LSTMCell(arena, size, size);
        var layer = new LSTM(arena, size, size, numLayers: 2);
        Tensor x = arena.Randn([1, size]), h = arena.Zeros([1, size]);
        (Tensor H, Tensor C) pair = (arena.Zeros([1, size]), arena.Zeros([1, size]));
        (Tensor H, Tensor C) layers = (arena.Zeros([2, 1, size]), arena.Zeros([2, 1, size]));
        for (int i = 0; i < 5; i++)
        {
            gru.Step(x, h);
            lstm.Step(x, pair);
            layer.Step(x, layers);
        }
        int live = arena.TensorCount;
        Assert.That(() => { gru.Step(x, h); lstm.Step(x, pair); layer.Step(x, layers); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        Assert.That(arena.TensorCount, Is.EqualTo(live));
    }
}
