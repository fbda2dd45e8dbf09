using NUnit.Framework.Constraints;

namespace ArenaGrad.Testing;

/// <summary><see cref="Allocates.NoNativeGrowth"/>: after warm-up, the measured calls leave the arena's native
/// blocks, reserved bytes and live tensor slots where they were.</summary>
internal sealed class NativeGrowthConstraint : AllocationConstraint
{
    private readonly Arena _arena;

    public NativeGrowthConstraint(Arena arena) => _arena = arena;

    public override string Description =>
        "no native growth of the arena after warm-up (same blocks, reserved bytes and live tensors before and after the measured calls)";

    private protected override ConstraintResult Measure(Action call, object actual)
    {
        // Which tier of code runs cannot change what the arena reserves, so the warm-up is the call count alone:
        // a leaking step run through a timed warm-up would reserve memory for nothing.
        AllocationSettings settings = Settings with { JitQuietPeriod = TimeSpan.Zero, MaxWarmup = TimeSpan.Zero };
        WarmupReport warmup = AllocationMeter.WarmUp(call, settings);
        Footprint before = Footprint.Of(_arena);
        for (int batch = 0; batch < settings.Batches; batch++)
            for (int i = 0; i < settings.CallsPerBatch; i++)
                call();
        Footprint after = Footprint.Of(_arena);

        long calls = (long)settings.Batches * settings.CallsPerBatch;
        string measured = $"over {calls:N0} calls ({settings.Batches} batches of {settings.CallsPerBatch}) after a {warmup.Calls:N0}-call warm-up";
        bool grew = after.ReservedBytes > before.ReservedBytes || after.Blocks > before.Blocks || after.Tensors > before.Tensors;
        string reading = grew
            ? $"growth: reserved bytes {before.ReservedBytes:N0} -> {after.ReservedBytes:N0} "
              + $"(+{FormatBytes(after.ReservedBytes - before.ReservedBytes)}, {FormatBytes((double)(after.ReservedBytes - before.ReservedBytes) / calls)} per call), "
              + $"blocks {before.Blocks:N0} -> {after.Blocks:N0}, live tensors {before.Tensors:N0} -> {after.Tensors:N0} {measured}"
            : $"no growth: {after.Blocks:N0} blocks, {after.ReservedBytes:N0} reserved bytes, {after.Tensors:N0} live tensors {measured}";
        return new AllocationConstraintResult(this, actual, !grew, reading);
    }

    private readonly record struct Footprint(long ReservedBytes, int Blocks, int Tensors)
    {
        public static Footprint Of(Arena arena) => new(arena.ReservedBytes, arena.BlockCount, arena.TensorCount);
    }
}
