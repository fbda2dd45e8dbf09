using System.Reflection;
using System.Runtime.Versioning;

namespace ArenaGrad.Tests.Compat;

/// <summary>The suite runs once per target framework (net10.0 always, net8.0 with -p:ArenaGradTestNet8=true): these
/// pin that a run really is on the runtime and the engine build it names, so a run that rolled forward to another
/// runtime, or loaded the other engine build, fails instead of passing for the wrong target.</summary>
public class TargetFrameworkTests
{
    /// <summary>The major version of the target framework this test assembly was compiled for.</summary>
    private const int TargetMajor =
#if NET10_0
        10;
#elif NET8_0
        8;
#else
#error Add the new target framework to TargetMajor.
#endif

    [Test]
    public void Runtime_IsTheOneTheTestsWereBuiltFor() =>
        Assert.That(Environment.Version.Major, Is.EqualTo(TargetMajor), $"running on .NET {Environment.Version}");

    [Test]
    public void EngineAssembly_IsTheBuildForTheSameTargetFramework()
    {
        string? framework = typeof(Arena).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName;
        Assert.That(framework, Is.EqualTo($".NETCoreApp,Version=v{TargetMajor}.0"));
    }
}
