using System.Runtime.Intrinsics;

namespace ArenaGrad.Tests.Determinism;

/// <summary>Same bits everywhere: the digests of <see cref="DeterminismHash"/> must equal the committed ones on every
/// instruction-set path CI runs (AVX-512, AVX2, SSE and scalar), on .NET 8 and .NET 10, and with 1 or 2 threads.</summary>
/// <remarks>expected-hashes.txt was written from this machine's run. If a change moves bits on purpose, run the suite
/// under all four DOTNET_Enable* settings, check every path agrees, and replace the file with the lines the failure
/// message prints (Determinism/README.md).</remarks>
[TestFixture]
public sealed class DeterminismTests
{
    [Test]
    public void EveryValueAndGradient_MatchesTheCommittedHashes_OnThisInstructionSetPath()
    {
        string file = Path.Combine(TestContext.CurrentContext.TestDirectory, "Determinism", "expected-hashes.txt");
        var expected = new Dictionary<string, string>();
        foreach (string line in File.ReadAllLines(file))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string[] fields = line.Split("  ", 2);
            expected[fields[1]] = fields[0];
        }

        List<(string Part, string Hash)> actual = DeterminismHash.ComputeAll();
        var drifted = actual.Where(p => !expected.TryGetValue(p.Part, out string? hash) || hash != p.Hash).Select(p => p.Part).ToList();
        var missing = expected.Keys.Except(actual.Select(p => p.Part)).ToList();
        Assert.That(drifted.Count + missing.Count, Is.Zero,
            $"On {InstructionSetPath()} these parts drifted: {string.Join(", ", drifted)}; missing: {string.Join(", ", missing)}.\n" +
            "If the change is meant to move bits (and every path agrees), the new file is:\n" +
            string.Join("\n", actual.Select(p => $"{p.Hash}  {p.Part}")));
    }

    [Test]
    public void TwoThreads_GiveBitwiseTheOneThreadTrainingRun()
    {
        Assert.That(DeterminismHash.WideTraining(threads: 2), Is.EqualTo(DeterminismHash.WideTraining(threads: 1)));
    }

    private static string InstructionSetPath() =>
        Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" :
        Vector128.IsHardwareAccelerated ? "Vector128" : "the scalar path";
}
