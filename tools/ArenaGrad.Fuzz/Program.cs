using System;
using System.IO;
using ArenaGrad;
using ArenaGrad.IO;
using SharpFuzz;

// Fuzzes the safetensors reader through its in-memory entry point. The only exception a malformed file may raise
// is InvalidDataException (the reader's documented one); anything else escapes and is reported as a crash, and a
// hang or an out-of-bounds read shows up as a timeout or a dead process. One arena is reused: each input is
// loaded in a scope, so a long run does not grow it, and a refused input must leave it as it was.
// No ArenaGrad code may run before Fuzzer.*.Run: the instrumented assembly writes its coverage into memory the
// runner sets up (an Arena made here first crashed the instrumented build).
Arena? arena = null;

// afl-fuzz sets __AFL_SHM_ID; otherwise libFuzzer's runner is used (under libfuzzer-dotnet, or replaying the file
// named by the first argument, which is how a crash found by either fuzzer is reproduced).
if (Environment.GetEnvironmentVariable("__AFL_SHM_ID") is not null)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        LoadOne(ref arena, copy.GetBuffer().AsSpan(0, (int)copy.Length));
    });
}
else
{
    Fuzzer.LibFuzzer.Run(input => LoadOne(ref arena, input));
}
arena?.Dispose();

static void LoadOne(ref Arena? shared, ReadOnlySpan<byte> input)
{
    Arena arena = shared ??= new Arena(new ArenaOptions { MaxBytes = 1L << 30 });
    int tensorsBefore = arena.TensorCount;
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
