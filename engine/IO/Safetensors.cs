using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using ArenaGrad.Nn;
using Microsoft.Win32.SafeHandles;
using ArenaGrad.Memory;

namespace ArenaGrad.IO;

/// <summary>Reads and writes the safetensors format (Hugging Face; what PyTorch users save weights in).</summary>
/// <remarks>
/// <para>Layout: an 8-byte little-endian header size N, N bytes of JSON header, then the data region. The header
/// maps each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c>, offsets counted from the end of
/// the header; an optional <c>"__metadata__"</c> holds string pairs. The tensors cover the data region exactly,
/// with no gap and no overlap.</para>
/// <para>Loading validates everything before it trusts anything, in the order of the reference implementation:
/// header size against the file size, the JSON, each dtype, shape and byte count (checked arithmetic), then the
/// offsets (in range, contiguous). Only then is arena memory taken, in one request, and each tensor's bytes are
/// read straight into it (F16 and BF16 are widened to float in place; I64 and I32 become Int32 tensors). A malformed file raises
/// <see cref="InvalidDataException"/> saying what is wrong, and the arena is left as it was (also when a file
/// changes while it is read, or the arena's cap is reached).</para>
/// </remarks>
public static unsafe class Safetensors
{
    /// <summary>The largest header accepted (the reference implementation's limit): 100 MB.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The key of the metadata map in the header.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Loads every tensor of the file at <paramref name="path"/> into <paramref name="arena"/> (as leaves that do
    /// not require grad, made in the innermost open scope, or for the arena's life outside any scope): F32, F16 and BF16
    /// as Float32 tensors, I64 and I32 as Int32 tensors (PyTorch's int64 buffers such as a batch norm's
    /// <c>num_batches_tracked</c>; an I64 value outside the Int32 range is refused).</summary>
    /// <returns>The tensors by name, in the order of the header.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file, holds a dtype other than
    /// F32, F16, BF16, I64 and I32, or an I64 value outside [-2^31, 2^31 - 1]; the message says what is wrong.</exception>
    public static IReadOnlyDictionary<string, Tensor> Load(Arena arena, string path)
    {
        ArgumentNullException.ThrowIfNull(arena);
        ArgumentNullException.ThrowIfNull(path);
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var source = new FileSource(handle, RandomAccess.GetLength(handle));
        return Read(arena, ref source).Tensors!;
    }

    /// <summary>Loads from a seekable <paramref name="stream"/>, from its position to its end (see <see cref="Load(Arena, string)"/>).</summary>
    /// <exception cref="ArgumentException">The stream cannot seek: its length is what bounds the header.</exception>
    public static IReadOnlyDictionary<string, Tensor> Load(Arena arena, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(arena);
        var source = StreamSource.Create(stream);
        return Read(arena, ref source).Tensors!;
    }

    /// <summary>Loads from the bytes of a whole file held in memory (see <see cref="Load(Arena, string)"/>).</summary>
    public static IReadOnlyDictionary<string, Tensor> Load(Arena arena, ReadOnlySpan<byte> file)
    {
        ArgumentNullException.ThrowIfNull(arena);
        fixed (byte* bytes = file)
        {
            var source = new SpanSource(bytes, file.Length);
            return Read(arena, ref source).Tensors!;
        }
    }

    /// <summary>The <c>__metadata__</c> map of the file at <paramref name="path"/> (empty when it has none). The whole
    /// header is validated; the tensor data is not read.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var source = new FileSource(handle, RandomAccess.GetLength(handle));
        return Read(null, ref source).Metadata;
    }

    /// <summary>The <c>__metadata__</c> map of a whole file held in memory (see <see cref="ReadMetadata(string)"/>).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(ReadOnlySpan<byte> file)
    {
        fixed (byte* bytes = file)
        {
            var source = new SpanSource(bytes, file.Length);
            return Read(null, ref source).Metadata;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> (replaced as a whole: the file
    /// is written beside it and then moved over it), with <paramref name="metadata"/> as <c>__metadata__</c>. Float32
    /// tensors are written as F32 and Int32 tensors as I64, PyTorch's integer dtype (a batch norm's
    /// <c>num_batches_tracked</c> is int64 there), so the file loads into PyTorch's modules as they are.
    /// The header is padded with spaces so that the data starts 8-byte aligned; the tensors are stored in the
    /// order given, which is also the order of their offsets.</summary>
    /// <exception cref="ArgumentException">Two tensors share a name, a name is <c>__metadata__</c>, or a tensor is Bool.</exception>
    public static void Save(string path, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] header = BuildHeader(tensors, metadata, out List<NamedTensor> ordered);
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                WriteBody(file, header, ordered);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="stream"/> in the format of <see cref="Save(string, IEnumerable{NamedTensor}, IReadOnlyDictionary{string, string}?)"/>.</summary>
    public static void Save(Stream stream, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader(tensors, metadata, out List<NamedTensor> ordered);
        WriteBody(stream, header, ordered);
    }

    // ---- writing ----------------------------------------------------------------------------------

    private static byte[] BuildHeader(IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata, out List<NamedTensor> ordered)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();
        ordered = [.. tensors];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (NamedTensor named in ordered)
        {
            if (named.Name is null) throw new ArgumentException("A tensor name is null.", nameof(tensors));
            if (named.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            if (!names.Add(named.Name)) throw new ArgumentException($"Two tensors are named '{named.Name}'.", nameof(tensors));
            _ = named.Value.Count; // a released or default handle throws here, before anything is written
            if (named.Value.DType is not (DType.Float32 or DType.Int32))
                throw new ArgumentException(
                    $"Tensor '{named.Name}' is {named.Value.DType}; Safetensors.Save writes Float32 and Int32 tensors only. Convert it with To(DType.Float32).",
                    nameof(tensors));
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> pair in metadata)
                {
                    if (pair.Key is null || pair.Value is null) throw new ArgumentException("Metadata keys and values must not be null.", nameof(metadata));
                    json.WriteString(pair.Key, pair.Value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (NamedTensor named in ordered)
            {
                bool integer = named.Value.DType == DType.Int32;
                long bytes = (long)named.Value.Count * (integer ? sizeof(long) : sizeof(float));
                json.WriteStartObject(named.Name);
                json.WriteString("dtype", integer ? "I64" : "F32");
                json.WriteStartArray("shape");
                foreach (int d in named.Value.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad with spaces (valid JSON whitespace) so that 8 + header length is a multiple of 8.
        int length = buffer.WrittenCount, padded = (length + 7) & ~7;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static void WriteBody(Stream stream, byte[] header, List<NamedTensor> ordered)
    {
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
        stream.Write(size);
        stream.Write(header);
        // Straight from arena memory: no managed copy of the values. Int32 is widened to I64 a block at a time.
        Span<long> wide = stackalloc long[256];
        foreach (NamedTensor named in ordered)
        {
            if (named.Value.DType == DType.Float32)
            {
                stream.Write(MemoryMarshal.AsBytes((ReadOnlySpan<float>)named.Value.AsSpanUnsafely()));
                continue;
            }
            ReadOnlySpan<int> ints = named.Value.Arena.IntValues(named.Value.Slot);
            for (int start = 0; start < ints.Length; start += wide.Length)
            {
                int n = Math.Min(wide.Length, ints.Length - start);
                for (int i = 0; i < n; i++) wide[i] = ints[start + i];
                stream.Write(MemoryMarshal.AsBytes(wide[..n]));
            }
        }
        stream.Flush();
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors stores little-endian data; ArenaGrad reads and writes it on little-endian machines only.");
    }

    // ---- reading ----------------------------------------------------------------------------------

    /// <summary>Where the bytes come from: a file, a stream or memory. Offsets are from the start of the file.</summary>
    private interface IByteSource
    {
        long Length { get; }

        /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; offset + length is within Length.</summary>
        void Read(long offset, scoped Span<byte> destination);
    }

    private readonly struct FileSource(SafeFileHandle handle, long length) : IByteSource
    {
        public long Length => length;

        public void Read(long offset, scoped Span<byte> destination)
        {
            while (!destination.IsEmpty)
            {
                int read = RandomAccess.Read(handle, destination, offset);
                if (read <= 0) throw Invalid($"the file ended at byte {offset}, before the {Length} bytes it had when opened (was it changed while being read?)");
                destination = destination[read..];
                offset += read;
            }
        }
    }

    private readonly struct StreamSource(Stream stream, long start, long length) : IByteSource
    {
        public long Length => length;

        public static StreamSource Create(Stream stream)
        {
            ArgumentNullException.ThrowIfNull(stream);
            if (!stream.CanSeek || !stream.CanRead)
                throw new ArgumentException("Safetensors.Load needs a readable, seekable stream: its length bounds the header. " +
                    "Copy the data to a MemoryStream or a file first.", nameof(stream));
            return new StreamSource(stream, stream.Position, Math.Max(0, stream.Length - stream.Position));
        }

        public void Read(long offset, scoped Span<byte> destination)
        {
            stream.Seek(start + offset, SeekOrigin.Begin);
            try
            {
                stream.ReadExactly(destination);
            }
            catch (EndOfStreamException)
            {
                throw Invalid($"the stream ended before byte {offset + destination.Length} (was it changed while being read?)");
            }
        }
    }

    /// <summary>Bytes in memory, pinned by the caller for as long as the source is used (a pointer, not a span: a ref
    /// struct cannot be a generic argument on .NET 8).</summary>
    private readonly unsafe struct SpanSource(byte* bytes, int length) : IByteSource
    {
        public long Length => length;

        public void Read(long offset, scoped Span<byte> destination) =>
            new ReadOnlySpan<byte>(bytes, length).Slice(checked((int)offset), destination.Length).CopyTo(destination);
    }

    private enum DataType : byte { F32, F16, BF16, I64, I32 }

    /// <summary>One tensor as the header describes it (checked).</summary>
    private sealed class Entry
    {
        public required string Name { get; init; }
        public DataType Type { get; set; }
        public int[] Shape { get; set; } = [];
        public long Begin { get; set; } = -1;
        public long End { get; set; } = -1;
        public int Count { get; set; }
        public int ElementSize => Type switch { DataType.F32 or DataType.I32 => 4, DataType.I64 => 8, _ => 2 };

        /// <summary>Whether the tensor loads as Int32.</summary>
        public bool IsInteger => Type is DataType.I64 or DataType.I32;
    }

    private readonly record struct ReadResult(IReadOnlyDictionary<string, Tensor>? Tensors, IReadOnlyDictionary<string, string> Metadata);

    private static InvalidDataException Invalid(string what) => new($"Not a valid safetensors file: {what}.");

    /// <summary>Validates the whole header, then (with an arena) reads the tensors into it.</summary>
    private static ReadResult Read<TSource>(Arena? arena, ref TSource source)
        where TSource : IByteSource
    {
        RequireLittleEndian();
        long length = source.Length;
        if (length < 8) throw Invalid($"it is {length} bytes long, shorter than the 8-byte header size that starts the format");
        Span<byte> sizeBytes = stackalloc byte[8];
        source.Read(0, sizeBytes);
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(sizeBytes);
        if (headerSize > (ulong)(length - 8))
            throw Invalid($"the header size is {headerSize} bytes, but only {length - 8} bytes follow the 8-byte size field");
        if (headerSize > MaxHeaderBytes)
            throw Invalid($"the header size is {headerSize} bytes, more than the {MaxHeaderBytes} allowed");
        byte[] header = new byte[(int)headerSize];
        source.Read(8, header);
        long dataStart = 8 + (long)headerSize, dataLength = length - dataStart;

        List<Entry> entries = ParseHeader(header, out Dictionary<string, string> metadata);
        CheckLayout(entries, dataLength);
        if (arena is null) return new ReadResult(null, metadata);

        // One request for every tensor: each lives in its own 64-byte-aligned part of one storage buffer.
        long totalFloats = 0;
        foreach (Entry entry in entries) totalFloats += RoundUp(entry.Count);
        if (totalFloats > int.MaxValue)
            throw Invalid($"its tensors hold {totalFloats} floats in all (with alignment), more than the 2^31 - 1 an arena buffer can hold");
        int totalLength = (int)totalFloats;
        // All or nothing: a read that fails half way (the file changed under us) leaves the arena as it was.
        using OpTransaction op = arena.BeginOp();
        // The storage slot owns the memory (as PyTorch's storage); each named tensor is a slot over its part.
        nint address = totalLength == 0 ? 0 : arena.ValuesAddress(arena.NewSlot(new ReadOnlySpan<int>(in totalLength), requiresGrad: false));
        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        long at = 0;
        foreach (Entry entry in entries)
        {
            nint values = address + (nint)(at * sizeof(float));
            int slot = entry.IsInteger
                ? arena.NewSlot(entry.Shape, DType.Int32, sharedValues: values)
                : arena.NewSlot(entry.Shape, requiresGrad: false, sharedValues: values);
            at += RoundUp(entry.Count);
            tensors.Add(entry.Name, arena.Handle(slot));
        }
        // In file order, each tensor's bytes go straight into its arena memory.
        foreach (Entry entry in entries.OrderBy(e => e.Begin))
        {
            Span<float> values = arena.Values(tensors[entry.Name].Slot);
            Span<byte> bytes = MemoryMarshal.AsBytes(values);
            if (entry.Type is DataType.F32 or DataType.I32)
            {
                source.Read(dataStart + entry.Begin, bytes);
                continue;
            }
            if (entry.Type == DataType.I64)
            {
                ReadInt64(ref source, dataStart + entry.Begin, entry.Name, MemoryMarshal.Cast<float, int>(values));
                continue;
            }
            // 2-byte types: read into the upper half of the float buffer, then widen front to back. Float i
            // (bytes 4i..4i+3) never reaches a 2-byte value not yet read (bytes 2n+2j, j >= i).
            Span<byte> raw = bytes[(2 * entry.Count)..];
            source.Read(dataStart + entry.Begin, raw);
            ReadOnlySpan<ushort> halves = MemoryMarshal.Cast<byte, ushort>(raw);
            if (entry.Type == DataType.F16)
                for (int i = 0; i < values.Length; i++) values[i] = (float)BitConverter.UInt16BitsToHalf(halves[i]);
            else
                for (int i = 0; i < values.Length; i++) values[i] = BitConverter.UInt32BitsToSingle((uint)halves[i] << 16);
        }
        op.Commit();
        return new ReadResult(tensors, metadata);
    }

    /// <summary>Reads little-endian int64 values at <paramref name="offset"/> a block at a time and narrows them into
    /// <paramref name="into"/>; a value outside the Int32 range is refused (the caller's transaction undoes the load).</summary>
    private static void ReadInt64<TSource>(ref TSource source, long offset, string name, Span<int> into)
        where TSource : IByteSource
    {
        Span<long> block = stackalloc long[256];
        for (int start = 0; start < into.Length; start += block.Length)
        {
            int n = Math.Min(block.Length, into.Length - start);
            source.Read(offset + 8L * start, MemoryMarshal.AsBytes(block[..n]));
            for (int i = 0; i < n; i++)
            {
                long v = block[i];
                if (v is < int.MinValue or > int.MaxValue)
                    throw Invalid($"tensor '{name}' (I64) holds {v} at element {start + i}, outside the Int32 range ArenaGrad's integer tensors hold");
                into[start + i] = (int)v;
            }
        }
    }

    private static long RoundUp(long floats) => (floats + 15) & ~15L;

    /// <summary>Parses and checks the JSON header: every entry's dtype, shape, offsets and byte count.</summary>
    private static List<Entry> ParseHeader(byte[] header, out Dictionary<string, string> metadata)
    {
        var entries = new List<Entry>();
        metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Invalid("the header is not a JSON object");
            while (true)
            {
                Next(ref reader, "the header");
                if (reader.TokenType == JsonTokenType.EndObject) break;
                string name = reader.GetString()!;
                if (name == MetadataKey)
                {
                    if (sawMetadata) throw Invalid($"'{MetadataKey}' appears twice in the header");
                    sawMetadata = true;
                    ParseMetadata(ref reader, metadata);
                    continue;
                }
                if (!names.Add(name)) throw Invalid($"the tensor name '{name}' appears twice in the header");
                entries.Add(ParseEntry(ref reader, name));
            }
            if (reader.Read()) throw Invalid("the header has content after its JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Not a valid safetensors file: the header is not valid JSON ({e.Message})", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader reports invalid UTF-8 in a string this way.
            throw new InvalidDataException($"Not a valid safetensors file: the header is not valid JSON text ({e.Message})", e);
        }
        return entries;
    }

    private static void Next(ref Utf8JsonReader reader, string where)
    {
        if (!reader.Read()) throw Invalid($"{where} ends early");
    }

    private static void ParseMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata)
    {
        Next(ref reader, "the metadata");
        if (reader.TokenType == JsonTokenType.Null) return;
        if (reader.TokenType != JsonTokenType.StartObject) throw Invalid($"'{MetadataKey}' is not an object of strings");
        while (true)
        {
            Next(ref reader, "the metadata");
            if (reader.TokenType == JsonTokenType.EndObject) return;
            string key = reader.GetString()!;
            Next(ref reader, "the metadata");
            if (reader.TokenType != JsonTokenType.String) throw Invalid($"the metadata value of '{key}' is not a string");
            if (!metadata.TryAdd(key, reader.GetString()!)) throw Invalid($"the metadata key '{key}' appears twice");
        }
    }

    private static Entry ParseEntry(ref Utf8JsonReader reader, string name)
    {
        Next(ref reader, $"tensor '{name}'");
        if (reader.TokenType != JsonTokenType.StartObject) throw Invalid($"the entry of tensor '{name}' is not an object");
        var entry = new Entry { Name = name };
        bool sawType = false, sawShape = false, sawOffsets = false;
        while (true)
        {
            Next(ref reader, $"tensor '{name}'");
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype":
                    if (sawType) throw Invalid($"tensor '{name}' has two dtypes");
                    sawType = true;
                    Next(ref reader, $"tensor '{name}'");
                    if (reader.TokenType != JsonTokenType.String) throw Invalid($"the dtype of tensor '{name}' is not a string");
                    entry.Type = ParseType(reader.GetString()!, name);
                    break;
                case "shape":
                    if (sawShape) throw Invalid($"tensor '{name}' has two shapes");
                    sawShape = true;
                    entry.Shape = ParseShape(ref reader, name);
                    break;
                case "data_offsets":
                    if (sawOffsets) throw Invalid($"tensor '{name}' has two data_offsets");
                    sawOffsets = true;
                    (entry.Begin, entry.End) = ParseOffsets(ref reader, name);
                    break;
                default:
                    Next(ref reader, $"tensor '{name}'");
                    reader.Skip(); // unknown fields are ignored, as the reference implementation does
                    break;
            }
        }
        if (!sawType || !sawShape || !sawOffsets)
            throw Invalid($"tensor '{name}' lacks {(!sawType ? "a dtype" : !sawShape ? "a shape" : "data_offsets")}");

        // The element count, with checked arithmetic; zero dims do not hide an oversized shape.
        long count = 1, nonZeroProduct = 1;
        foreach (int d in entry.Shape)
        {
            count *= d; // both factors are below 2^31 and count stays below 2^31: no overflow
            nonZeroProduct *= Math.Max(d, 1);
            if (nonZeroProduct > int.MaxValue)
                throw Invalid($"tensor '{name}' has shape {ShapeMath.Format(entry.Shape)}, more than the 2^31 - 1 elements an ArenaGrad tensor can hold");
        }
        entry.Count = (int)count;
        long bytes = count * entry.ElementSize;
        if (entry.End - entry.Begin != bytes)
            throw Invalid($"tensor '{name}' ({entry.Type}, shape {ShapeMath.Format(entry.Shape)}) needs {bytes} bytes, " +
                          $"but its data_offsets [{entry.Begin}, {entry.End}] span {entry.End - entry.Begin}");
        return entry;
    }

    private static DataType ParseType(string type, string name) => type switch
    {
        "F32" => DataType.F32,
        "F16" => DataType.F16,
        "BF16" => DataType.BF16,
        "I64" => DataType.I64,
        "I32" => DataType.I32,
        "F64" or "I16" or "I8" or "U64" or "U32" or "U16" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" or "C64" =>
            throw Invalid($"tensor '{name}' has dtype {type}, which ArenaGrad does not load (it loads F32, F16, BF16, I64 and I32)"),
        _ => throw Invalid($"tensor '{name}' has the unknown dtype '{type}'"),
    };

    private static int[] ParseShape(ref Utf8JsonReader reader, string name)
    {
        Next(ref reader, $"the shape of tensor '{name}'");
        if (reader.TokenType != JsonTokenType.StartArray) throw Invalid($"the shape of tensor '{name}' is not an array");
        Span<int> dims = stackalloc int[TensorLayout.MaxRank];
        int rank = 0;
        while (true)
        {
            Next(ref reader, $"the shape of tensor '{name}'");
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (rank == TensorLayout.MaxRank) throw Invalid($"tensor '{name}' has more than {TensorLayout.MaxRank} dimensions, the most an ArenaGrad tensor can have");
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long d) || d < 0 || d > int.MaxValue)
                throw Invalid($"the shape of tensor '{name}' has a dimension that is not an integer in [0, 2^31 - 1]");
            dims[rank++] = (int)d;
        }
        return dims[..rank].ToArray();
    }

    private static (long Begin, long End) ParseOffsets(ref Utf8JsonReader reader, string name)
    {
        Next(ref reader, $"the data_offsets of tensor '{name}'");
        if (reader.TokenType != JsonTokenType.StartArray) throw Invalid($"the data_offsets of tensor '{name}' are not an array");
        Span<long> offsets = stackalloc long[2];
        int count = 0;
        while (true)
        {
            Next(ref reader, $"the data_offsets of tensor '{name}'");
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (count == 2) throw Invalid($"the data_offsets of tensor '{name}' have more than two numbers");
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long offset) || offset < 0)
                throw Invalid($"the data_offsets of tensor '{name}' hold something other than a non-negative integer");
            offsets[count++] = offset;
        }
        if (count != 2) throw Invalid($"the data_offsets of tensor '{name}' have {count} numbers instead of two [begin, end]");
        if (offsets[1] < offsets[0]) throw Invalid($"the data_offsets of tensor '{name}' end before they begin: [{offsets[0]}, {offsets[1]}]");
        return (offsets[0], offsets[1]);
    }

    /// <summary>The tensors, taken in offset order, must tile the data region [0, dataLength) exactly.</summary>
    private static void CheckLayout(List<Entry> entries, long dataLength)
    {
        long expected = 0;
        foreach (Entry entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != expected)
                throw Invalid(entry.Begin < expected
                    ? $"tensor '{entry.Name}' at [{entry.Begin}, {entry.End}] overlaps the tensor before it, which ends at {expected}"
                    : $"there is a gap in the data region: tensor '{entry.Name}' begins at {entry.Begin}, but the tensor before it ends at {expected}");
            expected = entry.End;
            if (expected > dataLength)
                throw Invalid($"tensor '{entry.Name}' at [{entry.Begin}, {entry.End}] runs past the end of the data region ({dataLength} bytes)");
        }
        if (expected != dataLength)
            throw Invalid($"the tensors cover {expected} bytes, but the data region holds {dataLength}");
    }
}
