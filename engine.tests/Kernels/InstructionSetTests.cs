using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ArenaGrad.Tests.Kernels;

/// <summary>CI runs the suite four times with instruction sets switched off; this pins that each switch took effect,
/// so the Vector256, Vector128 and scalar runs really test those paths.</summary>
public sealed class InstructionSetTests
{
    [Test]
    public void DisabledInstructionSets_FromEnvironment_AreNotAccelerated()
    {
        bool Off(string name) => Environment.GetEnvironmentVariable(name) == "0";
        TestContext.Out.WriteLine(
            $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}");
        if (Off("DOTNET_EnableHWIntrinsic"))
            Assert.That(Vector128.IsHardwareAccelerated || Vector256.IsHardwareAccelerated || Vector512.IsHardwareAccelerated, Is.False);
        if (Off("DOTNET_EnableAVX2") || Off("DOTNET_EnableHWIntrinsic"))
            Assert.That(Vector256.IsHardwareAccelerated || Vector512.IsHardwareAccelerated, Is.False);
        if (Off("DOTNET_EnableAVX512") || Off("DOTNET_EnableAVX2") || Off("DOTNET_EnableHWIntrinsic"))
            Assert.That(Vector512.IsHardwareAccelerated, Is.False);
        if (Vector512.IsHardwareAccelerated)
            Assert.That(Avx512F.IsSupported, Is.True, "Vector512 cannot be accelerated without AVX-512F");
        // Not Vector512.IsHardwareAccelerated == Avx512F.IsSupported: on Skylake-SP and Cascade Lake, where 512-bit
        // instructions lower the clock, the runtime supports AVX-512F but prefers 256-bit vectors and reports
        // Vector512 as not accelerated (as does DOTNET_PreferredVectorBitWidth=256). The engine follows the
        // runtime's choice; what must hold is that the widest path chosen is at least AVX2's when AVX-512F is there.
        if (Avx512F.IsSupported && !Off("DOTNET_EnableAVX2") && !Off("DOTNET_EnableHWIntrinsic"))
            Assert.That(Vector256.IsHardwareAccelerated, Is.True, "with AVX-512F supported, 256-bit vectors must be accelerated");
        // With nothing switched off the widest path the runtime will use must be the one that runs. That is not
        // Avx512F.IsSupported alone: on Skylake-SP, Cascade Lake and Cooper Lake, where 512-bit instructions lower the
        // clock, the runtime supports AVX-512F but prefers 256-bit vectors, and DOTNET_PreferredVectorBitWidth can say so.
        bool anyOff = Off("DOTNET_EnableAVX512") || Off("DOTNET_EnableAVX2") || Off("DOTNET_EnableHWIntrinsic");
        if (!anyOff && Environment.GetEnvironmentVariable("DOTNET_PreferredVectorBitWidth") is null)
            Assert.That(Vector512.IsHardwareAccelerated, Is.EqualTo(Avx512F.IsSupported && !IsIntelWith512BitThrottling()),
                "with nothing switched off, the widest path the CPU has must be the one that runs");
    }

    /// <summary>Intel family 6, model 0x55 (Skylake-SP, Cascade Lake, Cooper Lake): the CPUs on which the runtime
    /// reports Vector512 as not accelerated although AVX-512F is supported.</summary>
    private static bool IsIntelWith512BitThrottling()
    {
        if (!X86Base.IsSupported) return false;
        (int _, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        bool intel = ebx == 0x756E6547 && edx == 0x49656E69 && ecx == 0x6C65746E; // "GenuineIntel"
        int signature = X86Base.CpuId(1, 0).Eax;
        int family = (signature >> 8) & 0xF;
        int model = ((signature >> 4) & 0xF) | (family is 6 or 15 ? ((signature >> 16) & 0xF) << 4 : 0);
        return intel && family == 6 && model == 0x55;
    }
}
