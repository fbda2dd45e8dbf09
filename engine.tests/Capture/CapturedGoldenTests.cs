using System.Text.Json;
using ArenaGrad.Capture;
using ArenaGrad.Tests.Golden;

namespace ArenaGrad.Tests.Capture;

/// <summary>Every golden program, captured and replayed: with the capture's inputs and with new random inputs of the
/// same shapes, every tensor of the program holds bitwise what eager mode computes.</summary>
[TestFixture]
public sealed class CapturedGoldenTests
{
    private static IEnumerable<GoldenCase> Cases() => GoldenCase.All("data").Concat(GoldenCase.All("extra")).Concat(GoldenCase.AllOps());

    [TestCaseSource(nameof(Cases))]
    public void Replay_OfEveryGoldenProgram_IsBitwiseEager(GoldenCase golden)
    {
        JsonElement root = golden.Root;
        var inputNames = root.GetProperty("inputs").EnumerateObject().Select(p => p.Name).ToArray();
        // Float inputs get new values between replays; Int32 and Bool inputs (indices, masks) keep theirs.
        Dictionary<string, float[]> original = root.GetProperty("inputs").EnumerateObject()
            .Where(p => GoldenTests.DTypeOf(p.Value) == DType.Float32)
            .ToDictionary(p => p.Name, p => GoldenProgramRunner.Floats(p.Value.GetProperty("data")));

        using var arena = new Arena();
        Dictionary<string, Tensor> named = MakeInputs(arena, root, original);
        Tensor first = named[inputNames[0]];
        using CapturedStep step = arena.Capture(first, input =>
        {
            Tensor last = input;
            foreach (JsonElement op in root.GetProperty("program").EnumerateArray())
                named[op.GetProperty("out").GetString()!] = last = GoldenProgramRunner.Run(op, named);
            return last;
        });
        Assert.That(step.OpCount, Is.GreaterThan(0));

        // The capture itself ran eagerly; replaying with the same inputs must not change a bit.
        AssertBitwise(named, Eager(root, original), golden.Name + " (same inputs)");
        step.Replay();
        AssertBitwise(named, Eager(root, original), golden.Name + " (replayed, same inputs)");

        var random = new Random(golden.Name.GetHashCode(StringComparison.Ordinal));
        for (int round = 0; round < 2; round++)
        {
            Dictionary<string, float[]> fresh = original.ToDictionary(p => p.Key, p => p.Value.Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray());
            using (arena.NoGrad()) // inputs that require grad are leaves: PyTorch refuses in-place writes to them with grad on
            {
                foreach (string name in inputNames.Skip(1).Where(fresh.ContainsKey)) named[name].CopyFrom(fresh[name]);
                step.Run(fresh.TryGetValue(inputNames[0], out float[]? head) ? arena.FromData(head, first.Shape)
                    : GoldenTests.MakeTensor(arena, root.GetProperty("inputs").GetProperty(inputNames[0])));
            }
            AssertBitwise(named, Eager(root, fresh), $"{golden.Name} (new inputs, round {round})");
        }
    }

    private static Dictionary<string, Tensor> MakeInputs(Arena arena, JsonElement root, Dictionary<string, float[]> values)
    {
        var named = new Dictionary<string, Tensor>();
        foreach (JsonProperty input in root.GetProperty("inputs").EnumerateObject())
            named[input.Name] = values.TryGetValue(input.Name, out float[]? floats)
                ? arena.FromData(floats, GoldenProgramRunner.Ints(input.Value.GetProperty("shape")), input.Value.GetProperty("requires_grad").GetBoolean())
                : GoldenTests.MakeTensor(arena, input.Value);
        return named;
    }

    /// <summary>The program run eagerly in a fresh arena: every named tensor's values.</summary>
    private static Dictionary<string, float[]> Eager(JsonElement root, Dictionary<string, float[]> inputs)
    {
        using var arena = new Arena();
        Dictionary<string, Tensor> named = MakeInputs(arena, root, inputs);
        foreach (JsonElement op in root.GetProperty("program").EnumerateArray())
            named[op.GetProperty("out").GetString()!] = GoldenProgramRunner.Run(op, named);
        return named.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    private static void AssertBitwise(Dictionary<string, Tensor> actual, Dictionary<string, float[]> expected, string where)
    {
        foreach ((string name, float[] values) in expected)
        {
            int[] want = values.Select(BitConverter.SingleToInt32Bits).ToArray();
            int[] got = actual[name].ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            Assert.That(got, Is.EqualTo(want), $"{where}: {name}");
        }
    }
}
