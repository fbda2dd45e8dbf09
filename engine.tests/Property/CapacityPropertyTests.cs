using ArenaGrad.Memory;
using CsCheck;

namespace ArenaGrad.Tests.PropertyBased;

/// <summary>Under a cap reached at a random point, every op of a random program either completes or leaves the arena
/// exactly as it was; a backward pass refused for lack of memory writes no gradient, and succeeds once memory is there.</summary>
public sealed class CapacityPropertyTests
{
    private readonly record struct ArenaState(int Tensors, int Tape, long GradientBytes, long ReservedBytes, int Blocks, FloatStackMark Floats);

    private static ArenaState State(Arena arena) =>
        new(arena.TensorCount, arena.TapeLength, arena.GradientBytes, arena.ReservedBytes, arena.BlockCount, arena.FloatMark);

    /// <summary>A program, which float allocation after its inputs fails (the arena's fault-injection hook, as if the cap
    /// were reached there), and whether the cap is instead a real <see cref="ArenaOptions.MaxBytes"/> a few blocks up.</summary>
    private static readonly Gen<(RandomProgram Program, int FailAt, bool RealCap)> Cases =
        Gen.Select(Gen.UInt.Array[0, 160].Select(RandomProgramBuilder.Build), Gen.Int[1, 16], Gen.Bool);

    private static string Print((RandomProgram Program, int FailAt, bool RealCap) c) => c.RealCap
        ? $"MaxBytes = {BlockBytes} * (1 + {c.FailAt}) with {BlockBytes}-byte blocks\n{c.Program}"
        : $"arena.FailAllocation({c.FailAt}) after the inputs\n{c.Program}";

    private const int BlockBytes = 1024; // small blocks, so ops also open (and must give back) new ones

    private static void EveryOpCompletesOrLeavesTheArenaAsItWas((RandomProgram Program, int FailAt, bool RealCap) c)
    {
        RandomProgram program = c.Program;
        using var arena = new Arena(new ArenaOptions { BlockBytes = BlockBytes, MaxBytes = c.RealCap ? BlockBytes * (1L + c.FailAt) : long.MaxValue });
        Tensor[] inputs;
        try
        {
            inputs = program.MakeInputs(arena);
        }
        catch (ArenaCapacityException)
        {
            return; // the inputs alone are past this cap
        }
        if (!c.RealCap) arena.FailAllocation(c.FailAt);

        var values = new Tensor[program.Entries.Count];
        for (int i = 0; i < values.Length; i++)
        {
            RandomProgram.Entry entry = program.Entries[i];
            if (entry.Apply is null)
            {
                values[i] = inputs[entry.InputIndex];
                continue;
            }
            ArenaState before = State(arena);
            try
            {
                values[i] = entry.Apply(values);
            }
            catch (ArenaCapacityException)
            {
                ArenaState after = State(arena);
                if (after != before)
                    throw new InvalidOperationException($"`{entry.Name} = {entry.Text}` failed under the cap and changed the arena: before {before}, after {after}");
                for (int j = 0; j < i; j++)
                    if (!values[j].IsAlive) throw new InvalidOperationException($"{program.Entries[j].Name} was released by the failed `{entry.Text}`");
                return; // the program stops at its first refused op
            }
        }

        Tensor output = values[^1];
        if (!output.RequiresGrad) return;
        Tensor seed;
        try
        {
            seed = arena.Ones(output.Shape);
        }
        catch (ArenaCapacityException)
        {
            return;
        }
        ArenaState beforeBackward = State(arena);
        try
        {
            output.Backward(seed, retainGraph: true);
            return;
        }
        catch (ArenaCapacityException)
        {
            ArenaState after = State(arena);
            if (after != beforeBackward)
                throw new InvalidOperationException($"backward failed under the cap and changed the arena: before {beforeBackward}, after {after}");
            for (int k = 0; k < inputs.Length; k++)
                if (inputs[k].Grad is not null)
                    throw new InvalidOperationException($"backward failed under the cap after writing x{k}'s gradient");
        }

        // The graph is intact: with memory available, one retry gives exactly the gradients of a run that never failed.
        if (c.RealCap) return; // a real cap stays where it is; the retry needs the injected failure turned off
        arena.FailAllocation(0);
        output.Backward(seed);
        float[][] expected = GradientsWithoutFailure(program);
        for (int k = 0; k < inputs.Length; k++)
        {
            float[] got = inputs[k].Grad is Tensor g ? g.ToArray() : [];
            if (!got.SequenceEqual(expected[k]))
                throw new InvalidOperationException($"retried backward gave x{k}.grad = [{string.Join(", ", got)}], a run without failure [{string.Join(", ", expected[k])}]");
        }
    }

    private static float[][] GradientsWithoutFailure(RandomProgram program)
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = BlockBytes });
        Tensor[] inputs = program.MakeInputs(arena);
        Tensor output = program.Run(inputs);
        output.Backward(arena.Ones(output.Shape));
        return inputs.Select(x => x.Grad is Tensor g ? g.ToArray() : []).ToArray();
    }

    [Test]
    public void RandomProgramsUnderACap_EveryOpCompletesOrLeavesTheArenaAsItWas() =>
        PropertyRunner.Check(Cases, EveryOpCompletesOrLeavesTheArenaAsItWas, defaultIterations: 1000, print: Print);
}
