using System.Runtime.Intrinsics;

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
        else
            Assert.That(Vector512.IsHardwareAccelerated, Is.EqualTo(System.Runtime.Intrinsics.X86.Avx512F.IsSupported),
                "with nothing switched off, the widest path the CPU has must be the one that runs");
    }
}
