namespace ArenaGrad;

/// <summary>Thrown by backward under <see cref="Arena.DetectAnomaly"/> when a rule produces a NaN or infinite gradient.
/// The first line of the message is PyTorch's (<c>Function 'MulBackward0' returned nan values in its 0th output.</c>);
/// the rest says where the op was recorded.</summary>
/// <remarks>PyTorch 1.13 checks for NaN only; this mode also stops at an infinity, reported as <c>inf values</c>.</remarks>
public sealed class GradientAnomalyException : InvalidOperationException
{
    /// <summary>The grad_fn name of the op whose rule produced the value (e.g. <c>MulBackward0</c>).</summary>
    public string FunctionName { get; }

    /// <summary>The output of PyTorch's backward node that went bad: the position of the forward input whose gradient
    /// holds the value (0 for <c>a</c> in <c>a * b</c>; PyTorch's order for AddmmBackward0: bias 0, input 1, weight 2).</summary>
    public int OutputIndex { get; }

    /// <summary>True for NaN, false for an infinity (reported only when the gradient holds no NaN).</summary>
    public bool IsNaN { get; }

    /// <summary>The stack trace of the forward call that recorded the op, from the first frame outside the engine, or
    /// null when anomaly mode was off while it was recorded.</summary>
    public string? ForwardStackTrace { get; }

    internal GradientAnomalyException(string functionName, int outputIndex, bool isNaN, string? forwardStackTrace)
        : base(Describe(functionName, outputIndex, isNaN, forwardStackTrace))
    {
        FunctionName = functionName;
        OutputIndex = outputIndex;
        IsNaN = isNaN;
        ForwardStackTrace = forwardStackTrace;
    }

    private static string Describe(string functionName, int outputIndex, bool isNaN, string? forwardStackTrace) =>
        $"Function '{functionName}' returned {(isNaN ? "nan" : "inf")} values in its {outputIndex}th output.\n" +
        (forwardStackTrace is null
            ? "No forward pass information available. Enable detect anomaly during forward pass for more information."
            : $"Error detected in {functionName}. Stack trace of the forward call that caused the error:\n{forwardStackTrace}");
}
