using System.Runtime.CompilerServices;

namespace ArenaGrad.Testing;

/// <summary>How long to warm up and how much to measure; the defaults are <see cref="Default"/>.</summary>
internal readonly record struct AllocationSettings(
    int WarmupCalls, TimeSpan JitQuietPeriod, TimeSpan MaxWarmup, int Batches, int CallsPerBatch)
{
    /// <summary>At least 100 warm-up calls (tiered compilation promotes a method after 30 calls), then, when
    /// methods are compiled in tiers, until the JIT has compiled nothing for 200 ms (twice the runtime's 100 ms
    /// call-counting delay), 3 s at most; then 10 batches of 100 calls.</summary>
    public static AllocationSettings Default { get; } = new(
        WarmupCalls: 100,
        JitQuietPeriod: TieredCompilationEnabled() ? TimeSpan.FromMilliseconds(200) : TimeSpan.Zero,
        MaxWarmup: TimeSpan.FromSeconds(3),
        Batches: 10,
        CallsPerBatch: 100);

    /// <summary>Whether this process compiles methods in tiers (a method first runs unoptimized, and is replaced by
    /// optimized code on a background thread once it is hot). Off under NativeAOT, with
    /// <c>&lt;TieredCompilation&gt;false&lt;/TieredCompilation&gt;</c> or with <c>DOTNET_TieredCompilation=0</c>.</summary>
    internal static bool TieredCompilationEnabled()
    {
        if (!RuntimeFeature.IsDynamicCodeCompiled) return false;
        string? variable = Environment.GetEnvironmentVariable("DOTNET_TieredCompilation")
            ?? Environment.GetEnvironmentVariable("COMPlus_TieredCompilation");
        if (variable is not null) return variable.Trim() != "0";
        return !AppContext.TryGetSwitch("System.Runtime.TieredCompilation", out bool enabled) || enabled;
    }
}
