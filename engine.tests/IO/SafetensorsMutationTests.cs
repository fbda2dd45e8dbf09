using System.Buffers.Binary;
using System.Text;
using ArenaGrad.IO;

namespace ArenaGrad.Tests.IO;

/// <summary>Bounded, seeded mutation test of the safetensors reader (issue 5, "fuzzing what comes from outside"):
/// every truncation, hundreds of bit flips and byte changes, and edits of the header's numbers, keys and size
/// field, over PyTorch's mlp.safetensors and a hand-made F16/BF16 file. The only outcomes allowed are a
/// successful load or <see cref="InvalidDataException"/>; a failed load leaves the arena as it was. The
/// SharpFuzz harness in tools/ArenaGrad.Fuzz runs the same entry point without bounds.</summary>
public sealed class SafetensorsMutationTests
{
    private const int Seed = 20261127;

    private static byte[] MlpFile() => File.ReadAllBytes(SafetensorsTests.DataPath("mlp.safetensors"));

    private static byte[] HalfFile()
    {
        byte[] data = new byte[24];
        for (int i = 0; i < 12; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), (ushort)(0x3C00 + 97 * i));
        return SafetensorsTests.File(
            "{\"__metadata__\":{\"k\":\"v\"},\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]}," +
            "\"b\":{\"dtype\":\"BF16\",\"shape\":[6],\"data_offsets\":[12,24]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[24,24]}}    ", data);
    }

    /// <summary>Loads <paramref name="file"/>; returns whether it loaded. Anything but InvalidDataException fails the test.</summary>
    private static bool Survives(Arena arena, byte[] file, string mutation)
    {
        (int, long) before = (arena.TensorCount, arena.ReservedBytes);
        using (arena.Scope())
        {
            try
            {
                IReadOnlyDictionary<string, Tensor> tensors = Safetensors.Load(arena, file);
                foreach (Tensor t in tensors.Values) _ = t.ToArray(); // every loaded tensor is readable
                _ = Safetensors.ReadMetadata(file);
                return true;
            }
            catch (InvalidDataException)
            {
                Assert.That((arena.TensorCount, arena.ReservedBytes), Is.EqualTo(before), $"{mutation}: a refused file changed the arena");
                return false;
            }
            catch (Exception e)
            {
                Assert.Fail($"{mutation}: {e.GetType().Name}: {e.Message}");
                return false;
            }
        }
    }

    public static IEnumerable<TestCaseData> Files()
    {
        yield return new TestCaseData("mlp.safetensors").SetArgDisplayNames("mlp");
        yield return new TestCaseData("f16-bf16").SetArgDisplayNames("f16-bf16");
        yield return new TestCaseData("bn_state.safetensors").SetArgDisplayNames("pytorch-batchnorm-i64");
    }

    private static byte[] Original(string which) => which switch
    {
        "mlp.safetensors" => MlpFile(),
        // PyTorch's state_dict of Linear and BatchNorm layers (issue 18): F32 and I64 (num_batches_tracked) entries
        "bn_state.safetensors" => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "layers", "norm", "bn_state.safetensors")),
        _ => HalfFile(),
    };

    [TestCaseSource(nameof(Files))]
    public void EveryTruncation_IsRefusedWithInvalidDataException(string which)
    {
        byte[] original = Original(which);
        using var arena = new Arena();
        Assert.That(Survives(arena, original, "original"), Is.True, "the unmutated file loads");
        for (int length = 0; length < original.Length; length++)
            Assert.That(Survives(arena, original[..length], $"truncated to {length}"), Is.False, $"truncated to {length} bytes");
    }

    [TestCaseSource(nameof(Files))]
    public void RandomBitFlipsAndByteChanges_OnlyEverThrowInvalidDataException(string which)
    {
        byte[] original = Original(which);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var random = new Random(Seed);
        using var arena = new Arena();
        int loaded = 0, refused = 0;
        for (int i = 0; i < 600; i++)
        {
            byte[] file = (byte[])original.Clone();
            // Mostly in the size field and header, where the structure is; some in the data.
            int flips = 1 + random.Next(3);
            for (int f = 0; f < flips; f++)
            {
                int at = random.Next(10) < 8 ? random.Next(headerEnd) : random.Next(file.Length);
                if (random.Next(2) == 0) file[at] ^= (byte)(1 << random.Next(8));
                else file[at] = (byte)random.Next(256);
            }
            if (Survives(arena, file, $"bit flips #{i}")) loaded++;
            else refused++;
        }
        Assert.That(refused, Is.GreaterThan(100), "most mutations of the structure are refused");
        Assert.That(loaded, Is.GreaterThan(0), "mutations of the data alone still load");
    }

    [TestCaseSource(nameof(Files))]
    public void HeaderEdits_OnlyEverThrowInvalidDataException(string which)
    {
        byte[] original = Original(which);
        int headerSize = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        string header = Encoding.UTF8.GetString(original, 8, headerSize);
        byte[] data = original[(8 + headerSize)..];
        var random = new Random(Seed + 1);
        using var arena = new Arena();
        string[] replacements =
        [
            "0", "-1", "1e3", "2.5", "4294967296", "9223372036854775807", "18446744073709551616", "null", "true", "\"F32\"", "\"F16\"",
            "\"BF16\"", "\"I64\"", "[]", "[0]", "[1,2]", "{}", "\"__metadata__\"", "\"\"", "[[[[[[[[[[1]]]]]]]]]]", "\"\\ud800\"",
        ];
        int count = 0;
        for (int i = 0; i < 400; i++)
        {
            var edited = new StringBuilder(header);
            switch (random.Next(5))
            {
                case 0: // change a number
                    {
                        int at = IndexOfRandom(header, char.IsAsciiDigit, random);
                        if (at < 0) continue;
                        int end = at;
                        while (end < header.Length && char.IsAsciiDigit(header[end])) end++;
                        edited.Remove(at, end - at).Insert(at, replacements[random.Next(8)]);
                        break;
                    }
                case 1: // replace a token (string, number, bracket) with another kind of value
                    {
                        int at = IndexOfRandom(header, c => c is '"' or '[' or '{', random);
                        if (at < 0) continue;
                        edited.Insert(at, replacements[random.Next(replacements.Length)] + (random.Next(2) == 0 ? "," : ""));
                        break;
                    }
                case 2: // delete a span
                    {
                        int at = random.Next(header.Length), length = 1 + random.Next(Math.Min(20, header.Length - at));
                        edited.Remove(at, Math.Min(length, header.Length - at));
                        break;
                    }
                case 3: // duplicate a span
                    {
                        int at = random.Next(header.Length), length = 1 + random.Next(Math.Min(40, header.Length - at));
                        edited.Insert(at, header.AsSpan(at, Math.Min(length, header.Length - at)));
                        break;
                    }
                default: // swap the dtypes or shapes of two entries
                    edited.Replace(random.Next(2) == 0 ? "F32" : "F16", random.Next(2) == 0 ? "BF16" : "F16");
                    break;
            }
            byte[] json = Encoding.UTF8.GetBytes(edited.ToString());
            // Keep the size field consistent (most edits) or make it disagree (some).
            long size = random.Next(4) == 0 ? json.Length + random.Next(-3, 4) : json.Length;
            byte[] file = new byte[8 + json.Length + data.Length];
            BinaryPrimitives.WriteInt64LittleEndian(file, size);
            json.CopyTo(file, 8);
            data.CopyTo(file, 8 + json.Length);
            Survives(arena, file, $"header edit #{i}: {edited}");
            count++;
        }
        Assert.That(count, Is.GreaterThan(300));
    }

    private static int IndexOfRandom(string text, Func<char, bool> predicate, Random random)
    {
        int start = random.Next(text.Length);
        for (int k = 0; k < text.Length; k++)
        {
            int i = (start + k) % text.Length;
            if (predicate(text[i])) return i;
        }
        return -1;
    }
}
