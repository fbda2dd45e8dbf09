using System;
using System.IO;
using ArenaGrad;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using SharpFuzz;

// Fuzzes the readers of outside bytes through their in-memory entry points: the safetensors reader (default) or, with
// ARENAGRAD_FUZZ_TARGET=onnx in the environment, the ONNX importer (a game may load models from its mod folder). The only exceptions a
// malformed file may raise are the readers' documented ones (InvalidDataException; NotSupportedException for ONNX
// features the importer does not implement); anything else escapes and is reported as a crash, and a hang or an
// out-of-bounds read shows up as a timeout or a dead process. One arena is reused: a refused input must leave it as it
// was, and an accepted one is released again, so a long run does not grow it.
// No ArenaGrad code may run before Fuzzer.*.Run: the instrumented assembly writes its coverage into memory the
// runner sets up (an Arena made here first crashed the instrumented build).
Arena? arena = null;
// An environment variable, not an argument: the runners own the command line (libFuzzer replays the file it names).
bool onnx = Environment.GetEnvironmentVariable("ARENAGRAD_FUZZ_TARGET") == "onnx";

// afl-fuzz sets __AFL_SHM_ID; otherwise libFuzzer's runner is used (under libfuzzer-dotnet, or replaying the file
// named by the first argument, which is how a crash found by either fuzzer is reproduced).
if (Environment.GetEnvironmentVariable("__AFL_SHM_ID") is not null)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        LoadOne(ref arena, copy.GetBuffer().AsSpan(0, (int)copy.Length), onnx);
    });
}
else
{
    Fuzzer.LibFuzzer.Run(input => LoadOne(ref arena, input, onnx));
}
arena?.Dispose();

static void LoadOne(ref Arena? shared, ReadOnlySpan<byte> input, bool onnx)
{
    Arena arena = shared ??= new Arena(new ArenaOptions { MaxBytes = 1L << 30 });
    int tensorsBefore = arena.TensorCount;
    if (onnx)
    {
        LoadOnnx(arena, input, tensorsBefore);
        return;
    }
    using (arena.Scope())
    {
        try
        {
            // Read every loaded value, so a tensor pointing outside arena memory would fault here.
            float sum = 0f;
            foreach (Tensor tensor in Safetensors.Load(arena, input).Values)
                foreach (float value in tensor.AsSpanUnsafely()) sum += value;
            GC.KeepAlive(sum);
            _ = Safetensors.ReadMetadata(input);
        }
        catch (InvalidDataException)
        {
            if (arena.TensorCount != tensorsBefore)
                throw new InvalidOperationException("A refused file left tensors in the arena.");
        }
    }
}

// Onnx.Load must run outside any scope (models outlive steps): an accepted model is run once on a small input and its
// tensors are then released by resetting the arena, which the harness owns alone.
static void LoadOnnx(Arena arena, ReadOnlySpan<byte> input, int tensorsBefore)
{
    Module model;
    try
    {
        using var stream = new MemoryStream(input.ToArray());
        model = ArenaGrad.IO.Onnx.Load(arena, stream);
    }
    catch (Exception e) when (e is InvalidDataException or NotSupportedException)
    {
        if (arena.TensorCount != tensorsBefore)
            throw new InvalidOperationException("A refused file left tensors in the arena.");
        return;
    }
    using (arena.Scope())
    {
        try
        {
            // The graph's input shape is whatever the file says; a [1, 6] probe is one plausible input. Shape refusals
            // are ordinary argument errors; the point is that running an accepted graph cannot crash the process.
            GC.KeepAlive(model.Forward(arena.Ones([1, 6])));
        }
        catch (ArgumentException)
        {
        }
    }
    arena.Reset();
}
