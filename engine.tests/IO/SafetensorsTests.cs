using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ArenaGrad.IO;
using ArenaGrad.Nn;

namespace ArenaGrad.Tests.IO;

/// <summary>The safetensors reader and writer: PyTorch's file (Interop/data/mlp.safetensors), round trips, F16 and
/// BF16, and each kind of malformed file with its message.</summary>
public sealed class SafetensorsTests
{
    internal static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "Interop", "data", file);

    private static JsonElement Json(string file)
    {
        using JsonDocument document = JsonDocument.Parse(System.IO.File.ReadAllText(DataPath(file)));
        return document.RootElement.Clone();
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static readonly (string Name, int[] Shape)[] MlpLayout =
    [
        ("0.bias", [16]), ("0.weight", [16, 6]), ("2.bias", [16]), ("2.weight", [16, 16]), ("4.bias", [3]), ("4.weight", [3, 16]),
    ];

    /// <summary>A file built by hand: header JSON as given, then <paramref name="data"/>.</summary>
    internal static byte[] File(string header, ReadOnlySpan<byte> data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file.AsSpan(8 + json.Length));
        return file;
    }

    [Test]
    public void Load_PyTorchMlpFile_GivesNamesShapesAndStartParametersOfOptimSgd()
    {
        using var arena = new Arena();
        IReadOnlyDictionary<string, Tensor> tensors = Safetensors.Load(arena, DataPath("mlp.safetensors"));
        Assert.That(tensors.Keys, Is.EquivalentTo(MlpLayout.Select(l => l.Name)));
        JsonElement start = Json("optim_sgd.json").GetProperty("start");
        foreach ((string name, int[] shape) in MlpLayout)
        {
            Tensor t = tensors[name];
            Assert.That(t.Shape.ToArray(), Is.EqualTo(shape), name);
            Assert.That(t.RequiresGrad, Is.False, name);
            Assert.That(t.IsLeaf, Is.True, name);
            Assert.That(t.ToArray(), Is.EqualTo(Floats(start.GetProperty(name))), name + " values (bit for bit: 9 digits round-trip a float)");
        }
        Assert.That(Safetensors.ReadMetadata(DataPath("mlp.safetensors")), Is.EquivalentTo(new Dictionary<string, string>
        {
            ["format"] = "pt", ["arch"] = "Linear(6,16)-Tanh-Linear(16,16)-ReLU-Linear(16,3)",
        }));
    }

    [Test]
    public void Load_PyTorchMlpFile_ReproducesMlpCaseOutputLossAndEveryGradient()
    {
        using var arena = new Arena();
        IReadOnlyDictionary<string, Tensor> p = Safetensors.Load(arena, DataPath("mlp.safetensors"));
        foreach (Tensor t in p.Values) t.SetRequiresGrad();
        JsonElement mlpCase = Json("mlp_case.json");
        Tensor input = arena.FromData(Floats(mlpCase.GetProperty("input").GetProperty("data")), [8, 6]);
        int[] targets = mlpCase.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        Tensor hidden = Functional.Linear(input, p["0.weight"], p["0.bias"]).Tanh();
        hidden = Functional.Linear(hidden, p["2.weight"], p["2.bias"]).Relu();
        Tensor output = Functional.Linear(hidden, p["4.weight"], p["4.bias"]);
        Tensor loss = Functional.CrossEntropy(output, targets);
        loss.Backward();

        Assert.That(output.ToArray(), Is.EqualTo(Floats(mlpCase.GetProperty("output").GetProperty("data"))).Within(1e-6f));
        Assert.That(loss.Item(), Is.EqualTo(mlpCase.GetProperty("loss").GetSingle()).Within(1e-6f));
        foreach (JsonProperty grad in mlpCase.GetProperty("grads").EnumerateObject())
            Assert.That(p[grad.Name].Grad!.Value.ToArray(), Is.EqualTo(Floats(grad.Value.GetProperty("data"))).Within(1e-6f), grad.Name);
    }

    [Test]
    public void SaveThenLoad_RoundTripsNamesShapesValuesAndMetadata()
    {
        using var arena = new Arena();
        IReadOnlyDictionary<string, Tensor> loaded = Safetensors.Load(arena, DataPath("mlp.safetensors"));
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "round trip \"quoted\" ünïcode" };
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, loaded.Select(pair => new NamedTensor(pair.Key, pair.Value)), metadata);
            using var other = new Arena();
            IReadOnlyDictionary<string, Tensor> back = Safetensors.Load(other, path);
            Assert.That(back.Keys, Is.EqualTo(loaded.Keys), "names, in the order written");
            foreach ((string name, Tensor t) in loaded)
            {
                Assert.That(back[name].Shape.ToArray(), Is.EqualTo(t.Shape.ToArray()), name);
                Assert.That(back[name].ToArray(), Is.EqualTo(t.ToArray()), name);
            }
            Assert.That(Safetensors.ReadMetadata(path), Is.EquivalentTo(metadata));
            Assert.That(Directory.GetFiles(Path.GetTempPath(), $".{Path.GetFileName(path)}*"), Is.Empty, "no temporary file left");
            // Kept beside the test binaries for engine.tests/IO/check_safetensors.py (PyTorch's side of the check).
            System.IO.File.Copy(path, Path.Combine(TestContext.CurrentContext.WorkDirectory, "mlp-roundtrip.safetensors"), overwrite: true);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Test]
    public void Save_PadsHeaderToEightBytesAndLaysTensorsOutInOffsetOrder()
    {
        using var arena = new Arena();
        NamedTensor[] tensors =
        [
            new("b", arena.FromData([1f, 2f, 3f])), new("a", arena.FromData([4f, 5f, 6f, 7f], [2, 2])), new("empty", arena.Zeros([0, 3])),
            new("scalar", arena.Scalar(8f)),
        ];
        using var stream = new MemoryStream();
        Safetensors.Save(stream, tensors);
        byte[] file = stream.ToArray();
        long headerSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.That((8 + headerSize) % 8, Is.Zero, "data starts 8-byte aligned");
        string header = Encoding.UTF8.GetString(file, 8, (int)headerSize);
        Assert.That(header, Does.EndWith("}").Or.EndWith(" "));
        using JsonDocument json = JsonDocument.Parse(header);
        long expectedBegin = 0;
        foreach (NamedTensor t in tensors)
        {
            JsonElement entry = json.RootElement.GetProperty(t.Name);
            Assert.That(entry.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
            Assert.That(entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(t.Value.Shape.ToArray()));
            long[] offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.That(offsets, Is.EqualTo(new[] { expectedBegin, expectedBegin + 4L * t.Value.Count }), t.Name);
            expectedBegin = offsets[1];
        }
        Assert.That(file.Length, Is.EqualTo(8 + headerSize + expectedBegin));
        Assert.That(json.RootElement.TryGetProperty(Safetensors.MetadataKey, out _), Is.False, "no metadata given, none written");
        using var arena2 = new Arena();
        IReadOnlyDictionary<string, Tensor> back = Safetensors.Load(arena2, new MemoryStream(file));
        Assert.That(back["scalar"].Item(), Is.EqualTo(8f));
        Assert.That(back["empty"].Shape.ToArray(), Is.EqualTo(new[] { 0, 3 }));
    }

    [Test]
    public void Save_DuplicateOrReservedName_IsRefusedBeforeWriting()
    {
        using var arena = new Arena();
        Tensor t = arena.Ones([2]);
        using var stream = new MemoryStream();
        Assert.That(Assert.Throws<ArgumentException>(() => Safetensors.Save(stream, [new NamedTensor("w", t), new NamedTensor("w", t)]))!.Message,
            Does.StartWith("Two tensors are named 'w'."));
        Assert.Throws<ArgumentException>(() => Safetensors.Save(stream, [new NamedTensor(Safetensors.MetadataKey, t)]));
        Assert.That(stream.Length, Is.Zero);
    }

    [Test]
    public void Load_F16AndBF16_AreWidenedToFloat()
    {
        float[] values = [1f, -2f, 0.5f, 65504f, float.PositiveInfinity, 0f, -0.099975586f];
        byte[] data = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), BitConverter.HalfToUInt16Bits((Half)values[i]));
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * values.Length + 2 * i), (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16));
        }
        int n = values.Length;
        byte[] file = File($"{{\"h\":{{\"dtype\":\"F16\",\"shape\":[{n}],\"data_offsets\":[0,{2 * n}]}}," +
                           $"\"b\":{{\"dtype\":\"BF16\",\"shape\":[1,{n}],\"data_offsets\":[{2 * n},{4 * n}]}}}}", data);
        using var arena = new Arena();
        IReadOnlyDictionary<string, Tensor> t = Safetensors.Load(arena, file);
        Assert.That(t["h"].ToArray(), Is.EqualTo(values.Select(v => (float)(Half)v).ToArray()));
        Assert.That(t["b"].ToArray(), Is.EqualTo(values.Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000u)).ToArray()));
        Assert.That(t["b"].Shape.ToArray(), Is.EqualTo(new[] { 1, n }));
    }

    [Test]
    public void Load_I64AndI32_BecomeInt32Tensors_AndInt32SavesAsI64()
    {
        long[] wide = [0, -5, int.MaxValue, int.MinValue, 600];
        byte[] data = new byte[wide.Length * 8 + 3 * 4 + 4];
        for (int i = 0; i < wide.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8 * i), wide[i]);
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(40 + 4 * i), 10 * i - 7);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(52), 2.5f);
        byte[] file = File("{\"l\":{\"dtype\":\"I64\",\"shape\":[5],\"data_offsets\":[0,40]},\"i\":{\"dtype\":\"I32\",\"shape\":[3,1],\"data_offsets\":[40,52]}," +
                           "\"f\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[52,56]}}", data);
        using var arena = new Arena();
        IReadOnlyDictionary<string, Tensor> t = Safetensors.Load(arena, file);
        Assert.That(t["l"].DType, Is.EqualTo(DType.Int32));
        Assert.That(t["l"].ToIntArray(), Is.EqualTo(wide.Select(v => (int)v).ToArray()));
        Assert.That(t["i"].DType, Is.EqualTo(DType.Int32));
        Assert.That(t["i"].ToIntArray(), Is.EqualTo(new[] { -7, 3, 13 }));
        Assert.That(t["i"].Shape.ToArray(), Is.EqualTo(new[] { 3, 1 }));
        Assert.That(t["f"].ToArray(), Is.EqualTo(new[] { 2.5f }));
        using var stream = new MemoryStream();
        Safetensors.Save(stream, t.Select(e => new NamedTensor(e.Key, e.Value)));
        IReadOnlyDictionary<string, Tensor> back = Safetensors.Load(arena, stream.ToArray());
        Assert.That(back["l"].ToIntArray(), Is.EqualTo(t["l"].ToIntArray()));
        Assert.That(back["i"].ToIntArray(), Is.EqualTo(t["i"].ToIntArray()));
        Assert.That(Encoding.UTF8.GetString(stream.ToArray()), Does.Contain("\"i\":{\"dtype\":\"I64\",\"shape\":[3,1],\"data_offsets\":[40,64]}"));
    }

    [Test]
    public void Load_InScope_ReleasesTensorsWithTheScope()
    {
        using var arena = new Arena();
        int before = arena.TensorCount;
        Tensor weight;
        using (arena.Scope())
        {
            weight = Safetensors.Load(arena, DataPath("mlp.safetensors"))["0.weight"];
            Assert.That(weight.IsAlive, Is.True);
        }
        Assert.That(weight.IsAlive, Is.False);
        Assert.That(arena.TensorCount, Is.EqualTo(before));
    }

    private static readonly string Good = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    public static IEnumerable<TestCaseData> Malformed()
    {
        byte[] eight = new byte[8];
        TestCaseData Case(string name, byte[] file, string message) => new TestCaseData(file, message).SetName($"Load_Malformed_{name}");
        yield return Case("Truncated", [1, 2, 3], "it is 3 bytes long, shorter than the 8-byte header size");
        byte[] past = File(Good, eight);
        BinaryPrimitives.WriteUInt64LittleEndian(past, 1000);
        yield return Case("HeaderSizePastEnd", past, "the header size is 1000 bytes, but only");
        byte[] huge = File(Good, eight);
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue);
        yield return Case("HeaderSizeHuge", huge, "the header size is 18446744073709551615 bytes");
        yield return Case("BadJson", File("{\"x\":{\"dtype\":\"F32\",", eight), "the header is not valid JSON");
        yield return Case("NotObject", File("[1, 2]", eight), "the header is not a JSON object");
        yield return Case("TrailingJson", File(Good + "{}", eight), "the header is not valid JSON");
        yield return Case("UnknownDtype", File(Good.Replace("F32", "Q7"), eight), "tensor 'x' has the unknown dtype 'Q7'");
        yield return Case("F64", File(Good.Replace("F32", "F64"), eight), "tensor 'x' has dtype F64, which ArenaGrad does not load");
        yield return Case("ShapeBytesDisagree", File(Good.Replace("[2]", "[3]"), eight), "needs 12 bytes, but its data_offsets [0, 8] span 8");
        yield return Case("NegativeDim", File(Good.Replace("[2]", "[-2]"), eight), "has a dimension that is not an integer");
        yield return Case("FractionalDim", File(Good.Replace("[2]", "[2.5]"), eight), "has a dimension that is not an integer");
        yield return Case("HugeShape", File(Good.Replace("[2]", "[65536,65536,0]"), eight), "more than the 2^31 - 1 elements");
        yield return Case("RankNine", File(Good.Replace("[2]", "[1,1,1,1,1,1,1,1,2]"), eight), "more than 8 dimensions");
        yield return Case("OffsetsNotFromZero", File(Good.Replace("[0,8]", "[8,16]"), eight), "tensor 'x' begins at 8");
        yield return Case("OffsetsBackwards", File(Good.Replace("[0,8]", "[8,0]"), eight), "end before they begin");
        yield return Case("ThreeOffsets", File(Good.Replace("[0,8]", "[0,8,8]"), eight), "have more than two numbers");
        yield return Case("DataRegionLonger", File(Good, new byte[12]), "the tensors cover 8 bytes, but the data region holds 12");
        yield return Case("DataRegionShorter", File(Good, new byte[4]), "runs past the end of the data region (4 bytes)");
        yield return Case("Overlap", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight),
            "overlaps the tensor before it");
        yield return Case("Gap", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"y\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", eight),
            "there is a gap in the data region");
        yield return Case("DuplicateName", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight),
            "the tensor name 'x' appears twice");
        yield return Case("MissingOffsets", File("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", eight), "tensor 'x' lacks data_offsets");
        yield return Case("MetadataNotStrings", File("{\"__metadata__\":{\"a\":1}," + Good[1..], eight), "the metadata value of 'a' is not a string");
        // I64 (issue 18): 8 bytes per element, values within Int32
        yield return Case("I64ShapeBytesDisagree", File(Good.Replace("F32", "I64"), eight), "tensor 'x' (I64, shape [2]) needs 16 bytes, but its data_offsets [0, 8] span 8");
        byte[] tooBig = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(tooBig.AsSpan(8), 1L << 31);
        yield return Case("I64OutOfInt32Range", File(Good.Replace("F32", "I64").Replace("[0,8]", "[0,16]"), tooBig),
            "tensor 'x' (I64) holds 2147483648 at element 1, outside the Int32 range");
        byte[] tooSmall = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(tooSmall, int.MinValue - 1L);
        yield return Case("I64BelowInt32Range", File(Good.Replace("F32", "I64").Replace("[0,8]", "[0,16]"), tooSmall), "holds -2147483649 at element 0");
        yield return Case("InvalidUtf8", File(Good, eight).Select((b, i) => i == 10 ? (byte)0xFF : b).ToArray(), "the header is not valid JSON");
    }

    [TestCaseSource(nameof(Malformed))]
    public void Load_Malformed_ThrowsInvalidDataExceptionSayingWhatIsWrongAndLeavesArena(byte[] file, string message)
    {
        using var arena = new Arena();
        (int, long) before = (arena.TensorCount, arena.ReservedBytes);
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(arena, file));
        Assert.That(e!.Message, Does.StartWith("Not a valid safetensors file: "));
        Assert.That(e.Message, Does.Contain(message));
        Assert.That((arena.TensorCount, arena.ReservedBytes), Is.EqualTo(before));
        Assert.Throws<InvalidDataException>(() => Safetensors.Load(arena, new MemoryStream(file)));
    }

    [Test]
    public void Load_GoodHandBuiltFile_Succeeds()
    {
        // The counterpart of the malformed cases: the same header, well formed, loads.
        byte[] data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -3f);
        using var arena = new Arena();
        Assert.That(Safetensors.Load(arena, File(Good, data))["x"].ToArray(), Is.EqualTo(new[] { 1.5f, -3f }));
        Assert.That(Safetensors.Load(arena, File("{\"__metadata__\":null,\"u\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"extra\":[{}]}}  ", data.AsSpan(0, 4)))["u"].Item(),
            Is.EqualTo(1.5f));
        Assert.That(Safetensors.Load(arena, File("{}", [])), Is.Empty);
    }

    [Test]
    public void Load_NonSeekableStream_IsRefusedWithReason()
    {
        using var arena = new Arena();
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Load(arena, new NonSeekable()));
        Assert.That(e!.Message, Does.Contain("seekable"));
    }

    private sealed class NonSeekable : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
