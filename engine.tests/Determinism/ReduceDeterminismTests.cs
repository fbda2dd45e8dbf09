using System.Security.Cryptography;

namespace ArenaGrad.Tests.Determinism;

/// <summary>The reduce family (issue 16) gives the same bits on every instruction-set path: one SHA-256 over every
/// value and gradient of each reduction, on lengths that leave every vector width a tail (1 to 300 along the reduced
/// axis, contiguous and strided), must equal the committed digest under AVX-512, AVX2, SSE and scalar code (CI runs
/// the suite under each DOTNET_Enable* setting) and on .NET 8. Its own digest rather than a line of expected-hashes.txt,
/// so that the other families of issue 16 merge without touching each other's digests.</summary>
[TestFixture]
public sealed class ReduceDeterminismTests
{
    /// <summary>Written from this machine's run (AVX-512) and checked equal under DOTNET_EnableAVX512=0,
    /// DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0. Change it only for a change meant to move bits, after checking
    /// every path prints the same new digest.</summary>
    private const string Expected = "6afe3f0ba47b0c856d56c5ef72617ff2ff2879f7e6756dc64c6697ea5ecb4f5b";

    [Test]
    public void EveryReductionValueAndGradient_MatchesTheCommittedDigest()
    {
        string actual = Digest();
        Assert.That(actual, Is.EqualTo(Expected), $"the reduce family's bits moved on this path; the new digest is {actual}");
    }

    private static string Digest()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var arena = new Arena(new ArenaOptions { Deterministic = true });
        foreach (int n in new[] { 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 255, 256, 257, 300 })
        {
            // Values from an integer formula: no libm call enters the inputs.
            float[] data = new float[n * 3];
            for (int i = 0; i < data.Length; i++) data[i] = ((i * 7919 + n * 31) % 2001 - 1000) / 337f;
            foreach (int[] shape in new[] { new[] { 3, n }, new[] { n, 3 } })
            {
                Tensor x = arena.FromData(data, shape, requiresGrad: true);
                int dim = shape[0] == 3 ? 1 : 0;
                Tensor[] outputs =
                [
                    x.Min(), x.Min(dim), x.Amax(dim), x.MaxWithIndices(dim).Values, x.MinWithIndices(dim).Values,
                    x.Var(dim), x.Var(), x.Std(dim, correction: 0), x.Std(),
                    x.Norm(), x.Norm(1f, dim), x.Norm(float.PositiveInfinity, dim), x.Norm(3f, dim), x.Norm(0.5f), x.Norm(-1.5f, dim),
                    x.LogSumExp(dim), x.CumSum(dim), (x * 0.05f).Exp().Prod(dim), (x * 0.01f).Exp().Prod(),
                ];
                Tensor total = arena.Scalar(0f);
                foreach (Tensor y in outputs)
                {
                    Append(hash, y.ToArray());
                    total += y.Sum();
                }
                Append(hash, x.ArgMax(dim).To(DType.Float32).ToArray());
                Append(hash, x.ArgMin().To(DType.Float32).ToArray());
                total.Backward();
                Append(hash, x.Grad!.Value.ToArray());
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>The float bits, every NaN as 0x7FC00000 (as DeterminismHash: which NaN payload survives is not promised).</summary>
    private static void Append(IncrementalHash hash, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), float.IsNaN(values[i]) ? 0x7FC00000 : BitConverter.SingleToInt32Bits(values[i]));
        hash.AppendData(bytes);
    }
}
