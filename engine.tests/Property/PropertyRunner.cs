using CsCheck;

namespace ArenaGrad.Tests.PropertyBased;

/// <summary>Runs a CsCheck property over a fixed, reproducible sequence of samples, and hands the first failure to
/// CsCheck's <c>Sample</c>, which re-runs it and shrinks it to the smallest failing sample it can find.</summary>
/// <remarks>CsCheck's own <c>Sample</c> draws every sample after the first from a time-seeded generator; CI needs the
/// same samples on every run, so the samples here come from one PCG stream with a fixed seed. The number of samples
/// is the caller's default unless the environment variable <c>ARENAGRAD_PROPERTY_ITERATIONS</c> sets it.</remarks>
internal static class PropertyRunner
{
    private const ulong Seed = 20261127;
    private const int ShrinkIterations = 3000;

    public static int Iterations(int defaultIterations) =>
        int.TryParse(Environment.GetEnvironmentVariable("ARENAGRAD_PROPERTY_ITERATIONS"), out int n) && n > 0 ? n : defaultIterations;

    /// <summary>Samples in the fixed sequence (the same list on every run and machine).</summary>
    public static IEnumerable<T> Samples<T>(Gen<T> gen, int count)
    {
        var pcg = new PCG(1, Seed);
        for (int i = 0; i < count; i++) yield return gen.Generate(pcg, null, out _);
    }

    /// <summary>Checks <paramref name="property"/> (which throws on failure) on each sample; on the first failure,
    /// throws CsCheck's report: the shrunk sample printed with <paramref name="print"/>, its seed, and the cause.</summary>
    public static void Check<T>(Gen<T> gen, Action<T> property, int defaultIterations, Func<T, string> print)
    {
        // CsCheck's reproduction hint ("CsCheck_Seed=...") re-runs just that sample.
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("CsCheck_Seed")))
            gen.Sample(property, iter: 1, threads: 1, print: print);
        var pcg = new PCG(1, Seed);
        int iterations = Iterations(defaultIterations);
        for (int i = 0; i < iterations; i++)
        {
            ulong state = pcg.State;
            T sample = gen.Generate(pcg, null, out _);
            try
            {
                property(sample);
            }
            catch (Exception)
            {
                gen.Sample(property, seed: pcg.ToString(state), iter: ShrinkIterations, threads: 1, print: print);
                throw; // Sample re-runs the failing seed first, so it has thrown already
            }
        }
    }
}
