using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Nn.Recurrent;

/// <summary>The recurrent layers as a game uses them: one step per frame at 0 B with the state carried in place, truncated
/// BPTT training that learns, the carried state cut from the graph, captured replay bitwise eager, and the Module
/// behaviours (RequiresGrad, ZeroGrad, Train/Eval, initialization bounds).</summary>
[TestFixture]
[NonParallelizable] // allocation measurements
public sealed class RecurrentLayerTests
{
    private static float[] Sine(int count, float phase) => [.. Enumerable.Range(0, count).Select(i => MathF.Sin(0.3f * i + phase))];

    [Test]
    public void EmptySequence_IsRefusedWithPyTorchsMessage_AndLeavesTheArenaAsItWas_WhileAnEmptyBatchRuns()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 4 });
        var gru = new GRU(arena, 3, 4);
        var lstm = new LSTM(arena, 3, 4, batchFirst: true);
        Tensor noStepsGru = arena.Zeros([0, 2, 3]), noStepsLstm = arena.Zeros([2, 0, 3]), noStepsUnbatched = arena.Zeros([0, 3]);
        int before = arena.TensorCount;
        foreach (Action call in new Action[] { () => gru.Forward(noStepsGru), () => lstm.Forward(noStepsLstm), () => gru.Forward(noStepsUnbatched) })
        {
            var e = Assert.Throws<ArgumentException>(() => call())!;
            Assert.That(e.Message, Does.StartWith("Expected sequence length to be larger than 0 in RNN"));
            Assert.That(arena.TensorCount, Is.EqualTo(before));
        }
        // PyTorch runs a batch of 0: [5, 0, 4] out, [1, 0, 4] h_n
        (Tensor output, Tensor hn) = gru.Forward(arena.Zeros([5, 0, 3]));
        Assert.That(output.Shape.ToArray(), Is.EqualTo(new[] { 5, 0, 4 }));
        Assert.That(hn.Shape.ToArray(), Is.EqualTo(new[] { 1, 0, 4 }));
    }

    [Test]
    public void GruCellStep_PerFrame_AllocatesNothing_AndTheArenaDoesNotGrowOver10000Steps()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var cell = new GRUCell(arena, 8, 32);
        Tensor state = arena.Zeros([1, 32]), observation = arena.Zeros([1, 8]);
        float[] frame = new float[8];
        for (int i = 0; i < 5; i++) cell.Step(observation, state);
        Assert.That(() => { cell.Step(observation, state); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        ArenaStatistics before = arena.Statistics;
        for (int i = 0; i < 10_000; i++)
        {
            frame[i % 8] = MathF.Sin(i * 0.01f);
            observation.CopyFrom(frame);
            cell.Step(observation, state);
        }
        Assert.That(arena.Statistics, Is.EqualTo(before));
        Assert.That(state.RequiresGrad, Is.False);
        Assert.That(state.ToArray().All(float.IsFinite), Is.True);
    }

    [Test]
    public void LstmCellStep_PerFrame_AllocatesNothing_AndTheArenaDoesNotGrowOver10000Steps()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var cell = new LSTMCell(arena, 8, 32);
        (Tensor H, Tensor C) state = (arena.Zeros([32]), arena.Zeros([32])); // unbatched
        Tensor observation = arena.Zeros([8]);
        float[] frame = new float[8];
        for (int i = 0; i < 5; i++) cell.Step(observation, state);
        Assert.That(() => { cell.Step(observation, state); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        ArenaStatistics before = arena.Statistics;
        for (int i = 0; i < 10_000; i++)
        {
            frame[i % 8] = MathF.Cos(i * 0.01f);
            observation.CopyFrom(frame);
            cell.Step(observation, state);
        }
        Assert.That(arena.Statistics, Is.EqualTo(before));
    }

    [Test]
    public void GruAndLstmStep_TwoLayers_AllocateNothing_AndArenaDoesNotGrow()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 4 });
        var gru = new GRU(arena, 6, 16, numLayers: 2, batchFirst: true);
        var lstm = new LSTM(arena, 6, 16, numLayers: 2);
        Tensor observation = arena.Zeros([2, 6]);
        Tensor gruState = arena.Zeros([2, 2, 16]);
        (Tensor H, Tensor C) lstmState = (arena.Zeros([2, 2, 16]), arena.Zeros([2, 2, 16]));
        observation.CopyFrom(Sine(12, 0.1f));
        for (int i = 0; i < 5; i++)
        {
            gru.Step(observation, gruState);
            lstm.Step(observation, lstmState);
        }
        Assert.That(() => { gru.Step(observation, gruState); lstm.Step(observation, lstmState); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        ArenaStatistics before = arena.Statistics;
        for (int i = 0; i < 10_000; i++)
        {
            gru.Step(observation, gruState);
            lstm.Step(observation, lstmState);
        }
        Assert.That(arena.Statistics, Is.EqualTo(before));
    }

    [Test]
    public void Step_GivesTheSameStateAsForwardOverTheSequence()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        var gru = new GRU(arena, 3, 7, numLayers: 2);
        var lstm = new LSTM(arena, 3, 7, numLayers: 2);
        var gruCell = new GRUCell(arena, 3, 7);
        var lstmCell = new LSTMCell(arena, 3, 7);
        float[] values = Sine(3 * 2 * 5, 0.4f);
        Tensor sequence = arena.FromData(values, [5, 2, 3]);
        Tensor gruState = arena.Zeros([2, 2, 7]), cellState = arena.Zeros([2, 7]);
        (Tensor H, Tensor C) lstmState = (arena.Zeros([2, 2, 7]), arena.Zeros([2, 2, 7]));
        (Tensor H, Tensor C) lstmCellState = (arena.Zeros([2, 7]), arena.Zeros([2, 7]));
        Tensor frame = arena.Zeros([2, 3]);
        for (int t = 0; t < 5; t++)
        {
            frame.CopyFrom(values.AsSpan(6 * t, 6));
            gru.Step(frame, gruState);
            lstm.Step(frame, lstmState);
            gruCell.Step(frame, cellState);
            lstmCell.Step(frame, lstmCellState);
        }
        using (arena.Scope())
        using (arena.NoGrad())
        {
            Assert.That(gruState.ToArray(), Is.EqualTo(gru.Forward(sequence).HN.ToArray()));
            (Tensor _, (Tensor hn, Tensor cn)) = lstm.Forward(sequence);
            Assert.That(lstmState.H.ToArray(), Is.EqualTo(hn.ToArray()));
            Assert.That(lstmState.C.ToArray(), Is.EqualTo(cn.ToArray()));
            Tensor h = arena.Zeros([2, 7]);
            (Tensor H, Tensor C) hc = (arena.Zeros([2, 7]), arena.Zeros([2, 7]));
            for (int t = 0; t < 5; t++)
            {
                h = gruCell.Forward(sequence.Select(0, t), h);
                hc = lstmCell.Forward(sequence.Select(0, t), hc);
            }
            Assert.That(cellState.ToArray(), Is.EqualTo(h.ToArray()));
            Assert.That(lstmCellState.H.ToArray(), Is.EqualTo(hc.H.ToArray()));
            Assert.That(lstmCellState.C.ToArray(), Is.EqualTo(hc.C.ToArray()));
        }
    }

    /// <summary>Truncated BPTT: chunks of 16 steps of a sine wave, the next value predicted from each step's h; the state
    /// carried between chunks lives outside the scope and is written with CopyFrom, so it has no graph.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void TruncatedBptt_AdamOnGruAndLstm_ReducesTheLoss_AndTheCarriedStateIsDetached(bool lstm)
    {
        const int Chunk = 16, Batch = 4, Hidden = 12, Chunks = 60;
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        Module rnn = lstm ? new LSTM(arena, 1, Hidden, batchFirst: true) : new GRU(arena, 1, Hidden, batchFirst: true);
        var head = new Linear(arena, Hidden, 1);
        var optimizer = new Adam([.. rnn.Parameters(), .. head.Parameters()], lr: 2e-2f);
        Tensor carriedH = arena.Zeros([1, Batch, Hidden]), carriedC = arena.Zeros([1, Batch, Hidden]);
        Tensor inputs = arena.Zeros([Batch, Chunk, 1]), targets = arena.Zeros([Batch, Chunk, 1]);
        var losses = new List<float>();
        float[] x = new float[Batch * Chunk], y = new float[Batch * Chunk];
        for (int k = 0; k < Chunks; k++)
        {
            for (int b = 0; b < Batch; b++)
                for (int t = 0; t < Chunk; t++)
                {
                    int step = k * Chunk + t;
                    x[b * Chunk + t] = MathF.Sin(0.2f * step + b);
                    y[b * Chunk + t] = MathF.Sin(0.2f * (step + 1) + b);
                }
            inputs.CopyFrom(x);
            targets.CopyFrom(y);
            optimizer.ZeroGrad();
            using (arena.Scope())
            {
                Tensor output;
                if (lstm)
                {
                    (output, (Tensor hn, Tensor cn)) = ((LSTM)rnn).Forward(inputs, (carriedH, carriedC));
                    Tensor loss = Functional.MseLoss(head.Forward(output), targets);
                    loss.Backward();
                    losses.Add(loss.Item());
                    using (arena.NoGrad()) { carriedH.CopyFrom(hn); carriedC.CopyFrom(cn); }
                }
                else
                {
                    (output, Tensor hn) = ((GRU)rnn).Forward(inputs, carriedH);
                    Tensor loss = Functional.MseLoss(head.Forward(output), targets);
                    loss.Backward();
                    losses.Add(loss.Item());
                    using (arena.NoGrad()) carriedH.CopyFrom(hn);
                }
            }
            optimizer.Step();
            Assert.That(carriedH.RequiresGrad || carriedC.RequiresGrad, Is.False, "the carried state has no graph");
            Assert.That(carriedH.Grad, Is.Null, "and backward never reached it");
        }
        Assert.That(losses.TakeLast(5).Average(), Is.LessThan(0.25 * losses.Take(5).Average()), string.Join(", ", losses));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void CapturedTraining_GruAndLstmForwardBackwardAdam_IsBitwiseEager(bool lstm)
    {
        const int Steps = 8;
        float[][] xs = [.. Enumerable.Range(0, Steps).Select(s => Sine(2 * 17 * 3, s))];
        float[] target = Sine(2 * 17 * 5, 2f);

        float[] Train(bool captured, out float[] parameters)
        {
            using var arena = new Arena(new ArenaOptions { Seed = 9 });
            Module rnn = lstm ? new LSTM(arena, 3, 5, numLayers: 2) : new GRU(arena, 3, 5, numLayers: 2);
            var optimizer = new Adam(rnn.Parameters(), lr: 1e-2f);
            Tensor x = arena.Zeros([17, 2, 3]), y = arena.FromData(target, [17, 2, 5]);
            var losses = new float[Steps];
            Func<Tensor, Tensor> loss = input => Functional.MseLoss(rnn.Forward(input), y);
            if (captured)
            {
                x.CopyFrom(xs[0]);
                using CapturedStep step = arena.CaptureTraining(x, loss, optimizer);
                losses[0] = step.Output.Item();
                Tensor staged = arena.Zeros([17, 2, 3]);
                for (int s = 1; s < Steps; s++)
                {
                    staged.CopyFrom(xs[s]);
                    losses[s] = step.Run(staged).Item();
                }
            }
            else
                for (int s = 0; s < Steps; s++)
                {
                    x.CopyFrom(xs[s]);
                    optimizer.ZeroGrad();
                    using (arena.Scope())
                    {
                        Tensor l = loss(x);
                        l.Backward();
                        losses[s] = l.Item();
                    }
                    optimizer.Step();
                }
            parameters = [.. rnn.Parameters().SelectMany(p => p.ToArray())];
            return losses;
        }

        float[] eager = Train(false, out float[] eagerParameters);
        float[] replayed = Train(true, out float[] replayedParameters);
        Assert.That(replayed.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(eager.Select(BitConverter.SingleToInt32Bits)), "losses");
        Assert.That(replayedParameters.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(eagerParameters.Select(BitConverter.SingleToInt32Bits)), "parameters");
        Assert.That(eager[^1], Is.LessThan(eager[0]));
    }

    [Test]
    public void CapturedInference_GruForward_IsBitwiseEager()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        var gru = new GRU(arena, 3, 6, numLayers: 2, batchFirst: true);
        Tensor x = arena.FromData(Sine(2 * 16 * 3, 0f), [2, 16, 3]), next = arena.FromData(Sine(2 * 16 * 3, 1f), [2, 16, 3]);
        float[] expected;
        using (arena.Scope()) expected = gru.Forward(next).Output.ToArray();
        using (arena.Scope())
        {
            using CapturedStep step = arena.Capture(x, input => gru.Forward(input).Output);
            Assert.That(step.Run(next).ToArray(), Is.EqualTo(expected));
        }
    }

    /// <summary>The per-frame step as a captured plan: the plan reads the state tensor afresh on every replay, so copying
    /// its result back into the state carries it; the same bits as Step, and 0 B per frame.</summary>
    [Test]
    public void CapturedPerFrameStep_CarriesTheStateLikeStep_BitForBit_AtZeroBytes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 6 });
        var cell = new GRUCell(arena, 4, 16);
        Tensor observation = arena.Zeros([1, 4]), state = arena.Zeros([1, 16]), reference = arena.Zeros([1, 16]);
        float[] frame = new float[4];
        using (arena.NoGrad())
        {
            using CapturedStep step = arena.Capture(observation, o => cell.Forward(o, state));
            for (int i = 0; i < 100; i++)
            {
                frame[i % 4] = MathF.Sin(0.1f * i);
                observation.CopyFrom(frame);
                state.CopyFrom(step.Run(observation));
                cell.Step(observation, reference);
            }
            Assert.That(state.ToArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(reference.ToArray().Select(BitConverter.SingleToInt32Bits)));
            Assert.That(() => { state.CopyFrom(step.Run(observation)); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        }
    }

    [Test]
    public void GradFnNames_AreThoseOfPyTorchsFusedCells()
    {
        using var arena = new Arena();
        var gru = new GRUCell(arena, 2, 3);
        var lstm = new LSTMCell(arena, 2, 3);
        Tensor x = arena.Ones([1, 2]);
        Assert.That(gru.Forward(x).GradFn, Is.EqualTo("ThnnFusedGruCellBackward0"));
        (Tensor h, Tensor c) = lstm.ForwardWithZeroState(x);
        Assert.That(h.GradFn, Is.EqualTo("ThnnFusedLstmCellBackward0"));
        Assert.That(c.GradFn, Is.EqualTo("ThnnFusedLstmCellBackward0"));
    }

    [Test]
    public void RequiresGradFalse_RecordsNothing_ZeroGradClears_TrainEvalFlip()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var lstm = new LSTM(arena, 2, 3, numLayers: 2);
        Tensor x = arena.Ones([4, 1, 2]);
        lstm.RequiresGrad(false);
        int tape = arena.TapeLength;
        using (arena.Scope())
        {
            Tensor output = lstm.Forward(x).Output;
            Assert.That(output.RequiresGrad, Is.False);
            Assert.That(arena.TapeLength, Is.EqualTo(tape), "nothing recorded");
        }
        lstm.RequiresGrad();
        using (arena.Scope()) lstm.Forward(x).Output.Sum().Backward();
        Assert.That(lstm.Parameters().All(p => p.Grad is not null), Is.True);
        lstm.ZeroGrad();
        Assert.That(lstm.Parameters().All(p => p.Grad is null), Is.True);
        Assert.That(lstm.Eval().IsTraining, Is.False);
        Assert.That(lstm.Train().IsTraining, Is.True);
    }

    [Test]
    public void Initialization_EveryParameterWithinOneOverSqrtHidden_InPyTorchsOrder()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var gru = new GRU(arena, 5, 16, numLayers: 2, bias: false);
        Assert.That(gru.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1" }));
        Assert.That(gru.Parameters().Select(p => p.Shape.ToArray()), Is.EqualTo(new[] { new[] { 48, 5 }, [48, 16], [48, 16], [48, 16] }));
        foreach (Tensor p in gru.Parameters())
        {
            float[] v = p.ToArray();
            Assert.That(v.All(e => MathF.Abs(e) <= 0.25f), Is.True);
            Assert.That(v.Max() - v.Min(), Is.GreaterThan(0.4f), "spread over the whole interval");
        }
        var cell = new LSTMCell(arena, 3, 4);
        Assert.That(cell.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }));
        Assert.That(cell.Parameters().SelectMany(p => p.ToArray()).All(e => MathF.Abs(e) <= 0.5f), Is.True);
    }

    [Test]
    public void Constructors_RefuseAnOpenScope()
    {
        using var arena = new Arena();
        using (arena.Scope())
        {
            Assert.Throws<InvalidOperationException>(() => _ = new GRU(arena, 2, 3));
            Assert.Throws<InvalidOperationException>(() => _ = new LSTMCell(arena, 2, 3));
        }
    }
}
