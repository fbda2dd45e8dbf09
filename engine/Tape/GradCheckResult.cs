using System.Globalization;

namespace ArenaGrad;

/// <summary>What <see cref="Autograd.GradCheck"/> found: whether every element passed, and the worst element
/// (largest |analytic − numeric| relative to its tolerance atol + rtol·|numeric|).</summary>
/// <param name="Passed">Every checked element was within tolerance (true when no element was checked).</param>
/// <param name="InputIndex">Position of the worst element's input in the inputs span (-1 when none was checked).</param>
/// <param name="FlatIndex">Row-major index of the worst element within that input (-1 when none was checked).</param>
/// <param name="Analytic">Backward's gradient at that element (of the projected output).</param>
/// <param name="Numeric">The central finite difference at that element.</param>
/// <param name="Error">|Analytic − Numeric| (NaN when either is NaN).</param>
/// <param name="Tolerance">atol + rtol·|Numeric| for that element.</param>
/// <param name="CheckedElements">How many input elements were checked.</param>
public readonly record struct GradCheckResult(
    bool Passed, int InputIndex, int FlatIndex, double Analytic, double Numeric, double Error, double Tolerance, int CheckedElements)
{
    /// <summary>Throws when the check failed, naming the worst element; returns the result otherwise.</summary>
    /// <exception cref="InvalidOperationException">The check failed; the message gives input, element, both values and the tolerance.</exception>
    public GradCheckResult ThrowIfFailed()
    {
        if (!Passed) throw new InvalidOperationException(ToString());
        return this;
    }

    /// <summary>One line: pass, or PyTorch's "Jacobian mismatch" with the worst element.</summary>
    public override string ToString() => Passed
        ? string.Create(CultureInfo.InvariantCulture,
            $"gradcheck passed: {CheckedElements} elements, worst input {InputIndex} element {FlatIndex}: analytical {Analytic:G9}, numerical {Numeric:G9}, error {Error:G3} within {Tolerance:G3}")
        : string.Create(CultureInfo.InvariantCulture,
            $"Jacobian mismatch for output 0 with respect to input {InputIndex}, element {FlatIndex}: analytical {Analytic:G9}, numerical {Numeric:G9}; " +
            $"|analytical - numerical| = {Error:G3} exceeds atol + rtol * |numerical| = {Tolerance:G3} ({CheckedElements} elements checked).");
}
