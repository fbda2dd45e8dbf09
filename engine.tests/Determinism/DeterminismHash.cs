using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Tests.Golden;

namespace ArenaGrad.Tests.Determinism;

/// <summary>SHA-256 digests of everything a set of programs computes: every value and gradient of the golden
/// programs, and every loss, parameter and gradient of two training runs. Each part is hashed on its own, so a
/// drift names the program that moved.</summary>
/// <remarks>Nothing here calls the runtime's libm in float: data and initial weights come from integer formulas and
/// the arena's uniform generator, so the bits depend only on the engine's kernels (and on the double-precision
/// <c>Math.Pow</c> in Adam's bias correction, which the C library computes the same on every path of one machine).</remarks>
internal static class DeterminismHash
{
    /// <summary>Deterministic explicitly: on a CPU without fused multiply-add (or a run with it switched off) the
    /// default is not.</summary>
    private static readonly ArenaOptions Options = new() { Deterministic = true };

    /// <summary>(part name, lowercase hex SHA-256), in a fixed order.</summary>
    public static List<(string Part, string Hash)> ComputeAll()
    {
        var parts = new List<(string, string)>();
        foreach (string folder in new[] { "data", "extra" })
            foreach (GoldenCase golden in GoldenCase.All(folder).OrderBy(c => c.Name, StringComparer.Ordinal))
                parts.Add(($"golden/{folder}/{golden.Name}", GoldenProgram(golden)));
        foreach (GoldenCase golden in GoldenCase.AllOps().OrderBy(c => c.Name, StringComparer.Ordinal))
            parts.Add(($"golden/ops/{golden.Name}", GoldenProgram(golden)));
        parts.Add(("train/mlp-8-64-64-4-tanh-adam-200-steps", SmallTraining()));
        parts.Add(("train/mlp-64-512-256-10-relu-sgd-8-steps-1-thread", WideTraining(threads: 1)));
        parts.Add(("train/mlp-64-512-256-10-relu-sgd-8-steps-2-threads", WideTraining(threads: 2)));
        return parts;
    }

    /// <summary>Runs a golden program; hashes every named tensor's values, then every gradient after backward.</summary>
    private static string GoldenProgram(GoldenCase golden)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        JsonElement root = golden.Root;
        using var arena = new Arena(Options);
        var named = new List<(string Name, Tensor Tensor)>();
        var byName = new Dictionary<string, Tensor>();
        foreach (JsonProperty input in root.GetProperty("inputs").EnumerateObject())
        {
            Tensor t = GoldenTests.MakeTensor(arena, input.Value);
            named.Add((input.Name, t));
            byName[input.Name] = t;
        }
        foreach (JsonElement step in root.GetProperty("program").EnumerateArray())
        {
            string output = step.GetProperty("out").GetString()!;
            Tensor t = GoldenProgramRunner.Run(step, byName);
            named.Add((output, t));
            byName[output] = t;
        }
        foreach ((string name, Tensor t) in named)
        {
            if (t.DType == DType.Float32) Append(hash, name, t.ToArray());
            else AppendIntegers(hash, name, t.ToIntArray()); // exact: as floats they would round past 2^24
        }

        if (root.GetProperty("backward").ValueKind == JsonValueKind.Null) return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        Tensor backwardRoot = byName[root.GetProperty("backward").GetString()!];
        bool refused = root.TryGetProperty("backward_error", out JsonElement error) && error.ValueKind == JsonValueKind.String;
        if (!refused)
        {
            if (backwardRoot.Count == 1) backwardRoot.Backward();
            else backwardRoot.Backward(arena.Ones(backwardRoot.Shape));
            foreach ((string name, Tensor t) in named)
                if (t.Grad is Tensor grad) Append(hash, "grad " + name, grad.ToArray());
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>A classifier trained with Adam: 8 features, four classes from a fixed rule, batch 32, 200 steps.</summary>
    private static string SmallTraining()
    {
        using var arena = new Arena(Options with { Seed = 2024 });
        var model = new Mlp(arena, [8, 64, 64, 4]);
        const int batch = 32;
        float[] features = new float[batch * 8];
        int[] labels = new int[batch];
        float[] losses = Train(arena, new Adam(model.Parameters(), lr: 1e-2f), 200, step =>
        {
            MakeBatch(step, features, labels);
            return Functional.CrossEntropy(model.Forward(arena.FromData(features, [batch, 8])), labels);
        });
        return TrainingDigest(losses, model);
    }

    /// <summary>Products big enough to be split over threads (each forward GEMM has 2^21 multiply-adds or more).</summary>
    internal static string WideTraining(int threads)
    {
        using var arena = new Arena(Options with { Seed = 77, IntraOpThreads = threads });
        var model = new Mlp(arena, [64, 512, 256, 10], () => new Relu());
        const int batch = 64;
        float[] features = new float[batch * 64];
        float[] targets = new float[batch * 10];
        float[] losses = Train(arena, new Sgd(model.Parameters(), lr: 0.05f, momentum: 0.9f), 8, step =>
        {
            for (int i = 0; i < features.Length; i++) features[i] = Pattern(step * features.Length + i);
            for (int i = 0; i < targets.Length; i++) targets[i] = Pattern(7919 * step + 31 * i + 5);
            return Functional.MseLoss(model.Forward(arena.FromData(features, [batch, 64])), arena.FromData(targets, [batch, 10]));
        });
        return TrainingDigest(losses, model);
    }

    /// <summary>Runs <paramref name="steps"/> eager steps (zero_grad, loss, backward, step), each in a scope; returns the losses.</summary>
    private static float[] Train(Arena arena, Optimizer optimizer, int steps, Func<int, Tensor> loss)
    {
        float[] losses = new float[steps];
        for (int step = 0; step < steps; step++)
        {
            using (arena.Scope())
            {
                optimizer.ZeroGrad();
                Tensor value = loss(step);
                value.Backward();
                optimizer.Step();
                losses[step] = value.Item();
            }
        }
        return losses;
    }

    /// <summary>Batch <paramref name="step"/>: features in [-1, 1) from an integer hash; the label is which of four
    /// sums of feature pairs is largest.</summary>
    private static void MakeBatch(int step, float[] features, int[] labels)
    {
        for (int i = 0; i < features.Length; i++) features[i] = Pattern(step * features.Length + i);
        for (int n = 0; n < labels.Length; n++)
        {
            int best = 0;
            float bestScore = float.NegativeInfinity;
            for (int c = 0; c < 4; c++)
            {
                float score = features[n * 8 + 2 * c] + 0.5f * features[n * 8 + 2 * c + 1];
                if (score > bestScore) (best, bestScore) = (c, score);
            }
            labels[n] = best;
        }
    }

    /// <summary>A float in [-1, 1) from an integer, with no floating-point library call.</summary>
    private static float Pattern(int i)
    {
        uint h = (uint)i * 2654435761u;
        h ^= h >> 15;
        h *= 2246822519u;
        h ^= h >> 13;
        return (h >> 8) / 8388608f - 1f;
    }

    /// <summary>The digest of a run's losses, then every parameter and its gradient in state-dict order.</summary>
    private static string TrainingDigest(float[] losses, Module model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, "losses", losses);
        AppendParameters(hash, model);
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    private static void AppendParameters(IncrementalHash hash, Module model)
    {
        foreach (NamedTensor parameter in model.NamedParameters())
        {
            Append(hash, parameter.Name, parameter.Value.ToArray());
            if (parameter.Value.Grad is Tensor grad) Append(hash, "grad " + parameter.Name, grad.ToArray());
        }
    }

    /// <summary>Hashes <paramref name="values"/> under <paramref name="name"/>, every NaN as one canonical NaN: which
    /// payload a NaN carries (which operand of max survived, which sign x86 gives 0/0) differs between JIT modes and
    /// instruction sets, and the engine promises only that NaN propagates.</summary>
    private static void Append(IncrementalHash hash, string name, float[] values)
    {
        hash.AppendData(Encoding.UTF8.GetBytes(name));
        hash.AppendData(BitConverter.GetBytes(values.Length));
        for (int i = 0; i < values.Length; i++)
            if (float.IsNaN(values[i])) values[i] = CanonicalNaN;
        hash.AppendData(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>Hashes an Int32 or Bool tensor's values under <paramref name="name"/>, marked as integers.</summary>
    private static void AppendIntegers(IncrementalHash hash, string name, int[] values)
    {
        hash.AppendData(Encoding.UTF8.GetBytes(name + " int32"));
        hash.AppendData(BitConverter.GetBytes(values.Length));
        hash.AppendData(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>The quiet NaN with a clear sign and an empty payload (0x7FC00000).</summary>
    private static readonly float CanonicalNaN = BitConverter.Int32BitsToSingle(0x7FC00000);
}
