using System.Diagnostics;
#if !NET9_0_OR_GREATER
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
#endif

namespace ArenaGrad;

/// <summary>The assembly, type and method names of a stack frame, on .NET 8 and .NET 10 alike.</summary>
/// <remarks>.NET 9+ has <c>DiagnosticMethodInfo</c>, which also works after trimming and under NativeAOT; .NET 8 has
/// only reflection (<see cref="StackFrame.GetMethod"/>), which may return null once trimmed: such frames are
/// skipped, as frames without a method are on .NET 10.</remarks>
internal readonly record struct StackFrameNames(string Assembly, string? Type, string Method)
{
    /// <summary>The names of <paramref name="frame"/>'s method, or null when the runtime cannot tell.</summary>
#if !NET9_0_OR_GREATER
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A trimmed-away method gives null, which the caller skips.")]
#endif
    internal static StackFrameNames? Of(StackFrame frame)
    {
#if NET9_0_OR_GREATER
        DiagnosticMethodInfo? method = DiagnosticMethodInfo.Create(frame);
        return method is null ? null : new StackFrameNames(method.DeclaringAssemblyName ?? "", method.DeclaringTypeName, method.Name);
#else
        MethodBase? method = frame.GetMethod();
        return method is null ? null : new StackFrameNames(method.Module.Assembly.FullName ?? "", method.DeclaringType?.FullName, method.Name);
#endif
    }
}
