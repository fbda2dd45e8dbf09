using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary>Hyperparameters as Python sees them: C# code passes <c>0.9f</c> where PyTorch code passes the
/// double <c>0.9</c>. PyTorch computes coefficients such as <c>1 - beta1</c> and <c>lr / (1 - beta1**t)</c> in
/// double from that decimal, so the optimizers do the same from the float's shortest decimal.</summary>
internal static class PythonFloat
{
    /// <summary>The double nearest to <paramref name="value"/>'s shortest round-trip decimal
    /// (<c>0.9f</c> gives 0.9, not 0.899999976...). Allocates nothing.</summary>
    public static double ToDouble(float value)
    {
        if (!float.IsFinite(value)) return value;
        Span<char> text = stackalloc char[32];
        return value.TryFormat(text, out int written, "R", CultureInfo.InvariantCulture)
            && double.TryParse(text[..written], NumberStyles.Float, CultureInfo.InvariantCulture, out double result)
            ? result
            : value;
    }

    /// <summary>Python's <c>repr</c> of the float a user wrote: <c>-1.0</c>, <c>0.01</c>, <c>1e-08</c>, <c>inf</c>.</summary>
    public static string Repr(float value)
    {
        if (float.IsNaN(value)) return "nan";
        if (float.IsPositiveInfinity(value)) return "inf";
        if (float.IsNegativeInfinity(value)) return "-inf";
        // "E" with the shortest digits: take the digits from "R", then place the decimal point as Python does.
        string shortest = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = shortest.StartsWith('-');
        if (negative) shortest = shortest[1..];
        int exponentAt = shortest.IndexOfAny(['E', 'e']);
        int exponent = exponentAt >= 0 ? int.Parse(shortest.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        string mantissa = exponentAt >= 0 ? shortest[..exponentAt] : shortest;
        int point = mantissa.IndexOf('.');
        string digits = point >= 0 ? mantissa.Remove(point, 1) : mantissa;
        int integerDigits = point >= 0 ? point : mantissa.Length;
        int leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0') leadingZeros++;
        digits = digits[leadingZeros..].TrimEnd('0');
        if (digits.Length == 0) return negative ? "-0.0" : "0.0";
        int decimalExponent = exponent + integerDigits - leadingZeros - 1; // value = d.ddd × 10^decimalExponent
        string body;
        if (decimalExponent < -4 || decimalExponent >= 16)
        {
            string fraction = digits.Length > 1 ? "." + digits[1..] : "";
            body = $"{digits[0]}{fraction}e{(decimalExponent < 0 ? '-' : '+')}{Math.Abs(decimalExponent):00}";
        }
        else if (decimalExponent < 0)
            body = "0." + new string('0', -decimalExponent - 1) + digits;
        else if (digits.Length <= decimalExponent + 1)
            body = digits + new string('0', decimalExponent + 1 - digits.Length) + ".0";
        else
            body = digits[..(decimalExponent + 1)] + "." + digits[(decimalExponent + 1)..];
        return negative ? "-" + body : body;
    }
}
