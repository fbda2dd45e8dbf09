using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace ArenaGrad.Printing;

/// <summary>
/// Turns a float32 tensor into the exact text PyTorch's <c>repr</c> prints for it, with PyTorch's default
/// print options (precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode None).
/// </summary>
/// <remarks>
/// <para>This is a port of <c>torch/_tensor_str.py</c> (checked against PyTorch 1.13): the <c>_Formatter</c>
/// choice between integer, fixed and scientific notation; padding of every element to a common width;
/// nested brackets with blank lines between blocks of rank 3 and up; wrapping of long rows at 80 columns;
/// summarization with <c>...</c> above 1000 elements; and <c>_add_suffixes</c>, which moves a suffix such
/// as <c>requires_grad=True</c> to its own line when it would pass the line width.</para>
/// <para>Numbers are rounded exactly, half to even, on the exact binary value, as Python's
/// <c>'{:.4f}'</c> and <c>'{:.4e}'</c> do, with BigInteger arithmetic, so the text does not depend on
/// the runtime's number formatting; the exponent is written as Python writes it (<c>e+05</c>).</para>
/// </remarks>
internal static class TensorFormatter
{
    /// <summary>Digits after the decimal point in fixed and scientific notation (PyTorch's <c>precision</c>).</summary>
    private const int Precision = 4;

    /// <summary>More elements than this and the tensor is summarized (PyTorch's <c>threshold</c>).</summary>
    private const int Threshold = 1000;

    /// <summary>Items kept at each end of a summarized dimension (PyTorch's <c>edgeitems</c>).</summary>
    private const int EdgeItems = 3;

    /// <summary>Columns a line may use before it wraps (PyTorch's <c>linewidth</c>).</summary>
    private const int LineWidth = 80;

    /// <summary>What every repr starts with; its length is the indent of the outermost dimension.</summary>
    private const string Prefix = "tensor(";

    /// <summary>
    /// Formats like PyTorch's repr: <c>"tensor([[1., 2., 3.],\n        [4., 5., 6.]])"</c>, then the suffix
    /// (e.g. <c>", requires_grad=True"</c> or <c>", grad_fn=&lt;AddBackward0&gt;"</c>) before the closing
    /// parenthesis.
    /// </summary>
    /// <param name="rowMajorData">The elements in row-major (C) order; exactly as many as <paramref name="shape"/> holds.</param>
    /// <param name="shape">The size of each dimension; empty for a 0-d tensor.</param>
    /// <param name="suffix">
    /// What PyTorch appends after the data, such as <c>", requires_grad=True"</c>; a leading comma is optional.
    /// Several items separated by <c>", "</c> are each placed as PyTorch places them: on the last line if they
    /// fit within 80 columns, else on a new line indented by <c>len("tensor(")</c>. Null or empty for none.
    /// </param>
    /// <returns>The repr, with <c>\n</c> line breaks.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the data length does not match the shape.</exception>
    public static string Format(ReadOnlySpan<float> rowMajorData, ReadOnlySpan<int> shape, string? suffix) =>
        Format(rowMajorData, shape, suffix, ElementKind.Float);

    /// <summary>Formats an int32 or bool tensor as PyTorch's repr does: <c>tensor([1, 2, 3], dtype=torch.int32)</c>,
    /// <c>tensor([ True, False])</c> (each element padded to the widest printed one, bool printing no dtype).</summary>
    /// <param name="rowMajorData">The elements in row-major order (a bool as 0 or 1).</param>
    /// <param name="shape">The size of each dimension; empty for a 0-d tensor.</param>
    /// <param name="isBool">Print True/False rather than integers.</param>
    /// <param name="suffix">As for <see cref="Format(ReadOnlySpan{float}, ReadOnlySpan{int}, string?)"/>, after the dtype.</param>
    public static string FormatIntegers(ReadOnlySpan<int> rowMajorData, ReadOnlySpan<int> shape, bool isBool, string? suffix)
    {
        // PyTorch names every dtype but the defaults (float32, int64, bool); an empty tensor names any non-float dtype.
        string? dtype = !isBool ? ", dtype=torch.int32" : rowMajorData.IsEmpty ? ", dtype=torch.bool" : null;
        return Format(MemoryMarshal.Cast<int, float>(rowMajorData), shape, dtype + suffix, isBool ? ElementKind.Bool : ElementKind.Int);
    }

    /// <summary>How the elements are printed: floats by PyTorch's float formatter; int32 and bool (carried as the
    /// float with the same bits) by <c>str(value)</c>.</summary>
    private enum ElementKind { Float, Int, Bool }

    private static string Format(ReadOnlySpan<float> rowMajorData, ReadOnlySpan<int> shape, string? suffix, ElementKind kind)
    {
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentException($"Dimension {i} has negative size {shape[i]}.", nameof(shape));
            }

            count = checked(count * shape[i]);
        }

        if (count != rowMajorData.Length)
        {
            throw new ArgumentException(
                $"The shape holds {count} elements but {rowMajorData.Length} were given.", nameof(rowMajorData));
        }

        var text = new StringBuilder(Prefix);
        int indent = Prefix.Length;
        var suffixes = new List<string>();

        if (count == 0)
        {
            // PyTorch spells out the shape of an empty tensor unless it is 1-d, to match NumPy (before the dtype).
            text.Append("[]");
            if (shape.Length != 1)
            {
                suffixes.Add("size=" + ShapeTuple(shape));
            }

        }
        else
        {
            bool summarize = count > Threshold;
            Span<int> strides = stackalloc int[shape.Length];
            int stride = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= shape[d];
            }

            var shown = new List<float>();
            CollectShown(rowMajorData, shape, strides, 0, 0, summarize, shown);
            var formatter = kind == ElementKind.Float ? ElementFormatter.Create(shown) : ElementFormatter.CreateInteger(shown, kind == ElementKind.Bool);

            if (shape.Length == 0)
            {
                text.Append(formatter.Format(rowMajorData[0]));
            }
            else
            {
                AppendTensor(text, rowMajorData, shape, strides, 0, 0, indent, summarize, formatter);
            }
        }

        SplitSuffix(suffix, suffixes);
        AppendSuffixes(text, suffixes, indent);
        text.Append(')');
        return text.ToString();
    }

    /// <summary>How many indices of a dimension of <paramref name="size"/> are printed.</summary>
    /// <param name="size">The dimension's size.</param>
    /// <param name="summarize">Whether the tensor is summarized.</param>
    /// <returns><c>2 * edgeitems</c> for a summarized long dimension, else <paramref name="size"/>.</returns>
    private static int ShownCount(int size, bool summarize) =>
        IsElided(size, summarize) ? 2 * EdgeItems : size;

    /// <summary>Whether a dimension prints <c>...</c> in place of its middle indices.</summary>
    /// <param name="size">The dimension's size.</param>
    /// <param name="summarize">Whether the tensor is summarized.</param>
    /// <returns>True when summarizing and the dimension is longer than <c>2 * edgeitems</c>.</returns>
    private static bool IsElided(int size, bool summarize) => summarize && size > 2 * EdgeItems;

    /// <summary>The index along a dimension of the <paramref name="k"/>-th printed item.</summary>
    /// <param name="k">Position among the printed items, from 0 to <see cref="ShownCount"/> - 1.</param>
    /// <param name="size">The dimension's size.</param>
    /// <param name="summarize">Whether the tensor is summarized.</param>
    /// <returns>The index into the dimension.</returns>
    private static int ShownIndex(int k, int size, bool summarize) =>
        IsElided(size, summarize) && k >= EdgeItems ? size - 2 * EdgeItems + k : k;

    /// <summary>
    /// Gathers the elements that will be printed, as PyTorch's <c>get_summarized_data</c> does: the
    /// formatter's width and notation depend only on them.
    /// </summary>
    /// <param name="data">All elements, row-major.</param>
    /// <param name="shape">The tensor's shape.</param>
    /// <param name="strides">Row-major strides of <paramref name="shape"/>.</param>
    /// <param name="dim">The dimension being walked.</param>
    /// <param name="offset">Flat offset of the current sub-tensor.</param>
    /// <param name="summarize">Whether the tensor is summarized.</param>
    /// <param name="shown">Receives the printed elements.</param>
    private static void CollectShown(
        ReadOnlySpan<float> data, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides,
        int dim, int offset, bool summarize, List<float> shown)
    {
        if (dim == shape.Length)
        {
            shown.Add(data[offset]);
            return;
        }

        int size = shape[dim];
        int items = ShownCount(size, summarize);
        for (int k = 0; k < items; k++)
        {
            int index = ShownIndex(k, size, summarize);
            CollectShown(data, shape, strides, dim + 1, offset + (index * strides[dim]), summarize, shown);
        }
    }

    /// <summary>
    /// Appends one bracketed sub-tensor, as PyTorch's <c>_tensor_str_with_formatter</c> and
    /// <c>_vector_str</c> do.
    /// </summary>
    /// <param name="text">The repr being built.</param>
    /// <param name="data">All elements, row-major.</param>
    /// <param name="shape">The tensor's shape.</param>
    /// <param name="strides">Row-major strides of <paramref name="shape"/>.</param>
    /// <param name="dim">The dimension this sub-tensor starts at (at least 0, below the rank).</param>
    /// <param name="offset">Flat offset of the sub-tensor's first element.</param>
    /// <param name="indent">Column of this sub-tensor's opening bracket.</param>
    /// <param name="summarize">Whether the tensor is summarized.</param>
    /// <param name="formatter">Formats each element.</param>
    private static void AppendTensor(
        StringBuilder text, ReadOnlySpan<float> data, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides,
        int dim, int offset, int indent, bool summarize, ElementFormatter formatter)
    {
        int size = shape[dim];
        int items = ShownCount(size, summarize);
        bool elided = IsElided(size, summarize);
        text.Append('[');

        if (dim == shape.Length - 1)
        {
            // ", " and the comma count against the width; " ..." counts as one element.
            int elementLength = formatter.Width + 2;
            int perLine = Math.Max(1, (LineWidth - indent) / elementLength);
            int position = 0;
            for (int k = 0; k < items; k++)
            {
                if (elided && k == EdgeItems)
                {
                    AppendVectorSeparator(text, position++, perLine, indent);
                    text.Append(" ...");
                }

                AppendVectorSeparator(text, position++, perLine, indent);
                int index = ShownIndex(k, size, summarize);
                text.Append(formatter.Format(data[offset + (index * strides[dim])]));
            }
        }
        else
        {
            // Between sub-tensors: a comma, one line break per remaining dimension minus one, and the indent.
            int newlines = shape.Length - dim - 1;
            int position = 0;
            for (int k = 0; k < items; k++)
            {
                if (elided && k == EdgeItems)
                {
                    AppendBlockSeparator(text, position++, newlines, indent);
                    text.Append("...");
                }

                AppendBlockSeparator(text, position++, newlines, indent);

                int index = ShownIndex(k, size, summarize);
                AppendTensor(
                    text, data, shape, strides, dim + 1, offset + (index * strides[dim]), indent + 1, summarize, formatter);
            }
        }

        text.Append(']');
    }

    /// <summary>Appends what goes before the element at <paramref name="position"/> of a 1-d row.</summary>
    /// <param name="text">The repr being built.</param>
    /// <param name="position">Position of the next item in the row, counting <c>...</c> as an item.</param>
    /// <param name="perLine">Items per line.</param>
    /// <param name="indent">Column of the row's opening bracket.</param>
    private static void AppendVectorSeparator(StringBuilder text, int position, int perLine, int indent)
    {
        if (position == 0)
        {
            return;
        }

        if (position % perLine == 0)
        {
            text.Append(",\n").Append(' ', indent + 1);
        }
        else
        {
            text.Append(", ");
        }
    }

    /// <summary>Appends what goes before the sub-tensor at <paramref name="position"/> of a block.</summary>
    /// <param name="text">The repr being built.</param>
    /// <param name="position">Position of the next item in the block, counting <c>...</c> as an item.</param>
    /// <param name="newlines">Line breaks to put: the sub-tensors' rank.</param>
    /// <param name="indent">Column of the enclosing opening bracket.</param>
    private static void AppendBlockSeparator(StringBuilder text, int position, int newlines, int indent)
    {
        if (position > 0)
        {
            text.Append(',').Append('\n', newlines).Append(' ', indent + 1);
        }
    }

    /// <summary>
    /// Splits a caller's suffix into PyTorch's suffix items: drops a leading comma and splits on commas
    /// outside brackets, so <c>", size=(0, 3), requires_grad=True"</c> gives two items.
    /// </summary>
    /// <param name="suffix">The caller's suffix, possibly null.</param>
    /// <param name="items">Receives the items, trimmed, empty ones skipped.</param>
    private static void SplitSuffix(string? suffix, List<string> items)
    {
        if (string.IsNullOrWhiteSpace(suffix))
        {
            return;
        }

        int depth = 0;
        int start = 0;
        for (int i = 0; i <= suffix.Length; i++)
        {
            char c = i < suffix.Length ? suffix[i] : ',';
            switch (c)
            {
                case '(' or '[' or '{' or '<':
                    depth++;
                    break;
                case ')' or ']' or '}' or '>':
                    depth = Math.Max(0, depth - 1);
                    break;
                case ',' when depth == 0 || i == suffix.Length:
                    string item = suffix[start..i].Trim();
                    if (item.Length > 0)
                    {
                        items.Add(item);
                    }

                    start = i + 1;
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>
    /// Appends the suffix items as PyTorch's <c>_add_suffixes</c> does, including its reckoning of the last
    /// line's length (two more than the characters after the last line break).
    /// </summary>
    /// <param name="text">The repr so far, from <c>tensor(</c> to the data's closing bracket.</param>
    /// <param name="suffixes">The items to append.</param>
    /// <param name="indent">Indent of a suffix moved to its own line.</param>
    private static void AppendSuffixes(StringBuilder text, List<string> suffixes, int indent)
    {
        int lastNewline = -1;
        for (int i = text.Length - 1; i >= 0; i--)
        {
            if (text[i] == '\n')
            {
                lastNewline = i;
                break;
            }
        }

        int lastLineLength = text.Length - lastNewline + 1;
        foreach (string suffix in suffixes)
        {
            if (lastLineLength + suffix.Length + 2 > LineWidth)
            {
                text.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLength = indent + suffix.Length;
            }
            else
            {
                text.Append(", ").Append(suffix);
                lastLineLength += suffix.Length + 2;
            }
        }
    }

    /// <summary>Writes a shape as a Python tuple: <c>(0, 3)</c>, or <c>(0,)</c> for one dimension.</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>The tuple's text.</returns>
    private static string ShapeTuple(ReadOnlySpan<int> shape)
    {
        var tuple = new StringBuilder("(");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                tuple.Append(", ");
            }

            tuple.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return tuple.Append(shape.Length == 1 ? ",)" : ")").ToString();
    }

    /// <summary>
    /// PyTorch's <c>_Formatter</c> for floating tensors: picks integer, fixed or scientific notation from the
    /// printed elements and pads every element on the left to a common width.
    /// </summary>
    private sealed class ElementFormatter
    {
        /// <summary>Initializes a formatter with the notation and width already chosen.</summary>
        /// <param name="intMode">Every finite element is a whole number: print <c>1.</c>.</param>
        /// <param name="sciMode">Print <c>1.0000e+05</c>.</param>
        /// <param name="width">The common width elements are padded to.</param>
        /// <param name="kind">What the elements are.</param>
        private ElementFormatter(bool intMode, bool sciMode, int width, ElementKind kind = ElementKind.Float)
        {
            IntMode = intMode;
            SciMode = sciMode;
            Width = width;
            Kind = kind;
        }

        /// <summary>Gets what the elements are (an int32 or bool element is the float with its bits).</summary>
        private ElementKind Kind { get; }

        /// <summary>The formatter of an int32 or bool tensor: width of the longest <c>str(value)</c>.</summary>
        /// <param name="shown">The printed elements, as floats carrying the integers' bits.</param>
        /// <param name="isBool">Print True/False.</param>
        /// <returns>The formatter.</returns>
        public static ElementFormatter CreateInteger(List<float> shown, bool isBool)
        {
            ElementKind kind = isBool ? ElementKind.Bool : ElementKind.Int;
            int width = 0;
            foreach (float value in shown)
            {
                width = Math.Max(width, IntegerText(value, kind).Length);
            }

            return new ElementFormatter(intMode: false, sciMode: false, width, kind);
        }

        private static string IntegerText(float bits, ElementKind kind)
        {
            int value = BitConverter.SingleToInt32Bits(bits);
            return kind == ElementKind.Bool ? (value != 0 ? "True" : "False") : value.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>Gets a value indicating whether every nonzero finite element is a whole number.</summary>
        public bool IntMode { get; }

        /// <summary>Gets a value indicating whether elements print in scientific notation.</summary>
        public bool SciMode { get; }

        /// <summary>Gets the width elements are padded to (nan and inf may be wider: they are not counted).</summary>
        public int Width { get; }

        /// <summary>Chooses the notation and width as <c>_Formatter.__init__</c> does.</summary>
        /// <param name="shown">The elements that will be printed.</param>
        /// <returns>The formatter.</returns>
        public static ElementFormatter Create(List<float> shown)
        {
            bool intMode = true;
            bool any = false;
            double min = double.PositiveInfinity;
            double max = 0;
            foreach (float value in shown)
            {
                if (!float.IsFinite(value) || value == 0)
                {
                    continue;
                }

                any = true;
                double magnitude = Math.Abs((double)value);
                min = Math.Min(min, magnitude);
                max = Math.Max(max, magnitude);
                if (value != MathF.Ceiling(value))
                {
                    intMode = false;
                }
            }

            if (!any)
            {
                return new ElementFormatter(intMode: true, sciMode: false, width: 1);
            }

            bool sciMode = max / min > 1000.0 || max > 1.0e8 || (!intMode && min < 1.0e-4);
            int width = 1;
            foreach (float value in shown)
            {
                if (!float.IsFinite(value) || value == 0)
                {
                    continue;
                }

                int length = sciMode ? Scientific(value).Length
                    : intMode ? Fixed(value, 0).Length + 1
                    : Fixed(value, Precision).Length;
                width = Math.Max(width, length);
            }

            return new ElementFormatter(intMode, sciMode, width);
        }

        /// <summary>Formats one element as <c>_Formatter.format</c> does.</summary>
        /// <param name="value">The element.</param>
        /// <returns>The element's text, left-padded with spaces to <see cref="Width"/>.</returns>
        public string Format(float value)
        {
            string text;
            if (Kind != ElementKind.Float)
            {
                text = IntegerText(value, Kind);
            }
            else if (SciMode)
            {
                text = Scientific(value);
            }
            else if (IntMode)
            {
                text = float.IsFinite(value) ? Fixed(value, 0) + "." : Fixed(value, 0);
            }
            else
            {
                text = Fixed(value, Precision);
            }

            return text.Length >= Width ? text : new string(' ', Width - text.Length) + text;
        }
    }

    /// <summary>Python's text for a value that is not finite: <c>nan</c>, <c>inf</c> or <c>-inf</c>.</summary>
    /// <param name="value">A NaN or an infinity.</param>
    /// <returns>The text.</returns>
    private static string NonFinite(float value) =>
        float.IsNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";

    /// <summary>Python's <c>'{:.Nf}'.format(value)</c>: exact rounding, half to even; keeps the sign of -0.</summary>
    /// <param name="value">The value (its exact float32 value is what gets rounded).</param>
    /// <param name="decimals">Digits after the point; 0 prints no point.</param>
    /// <returns>The text.</returns>
    private static string Fixed(float value, int decimals)
    {
        if (!float.IsFinite(value))
        {
            return NonFinite(value);
        }

        string digits = RoundScaled(value, decimals).ToString(CultureInfo.InvariantCulture)
            .PadLeft(decimals + 1, '0');
        string sign = float.IsNegative(value) ? "-" : string.Empty;
        return decimals == 0
            ? sign + digits
            : sign + digits[..^decimals] + "." + digits[^decimals..];
    }

    /// <summary>
    /// Python's <c>'{:.4e}'.format(value)</c>: one digit, the point, four digits, then <c>e</c>, the exponent's
    /// sign and at least two exponent digits (<c>1.0000e+05</c>); exact rounding, half to even.
    /// </summary>
    /// <param name="value">The value (its exact float32 value is what gets rounded).</param>
    /// <returns>The text.</returns>
    private static string Scientific(float value)
    {
        if (!float.IsFinite(value))
        {
            return NonFinite(value);
        }

        string sign = float.IsNegative(value) ? "-" : string.Empty;
        int exponent = 0;
        BigInteger mantissa = BigInteger.Zero;
        if (value != 0)
        {
            BigInteger low = BigInteger.Pow(10, Precision);
            BigInteger high = low * 10;
            exponent = (int)Math.Floor(Math.Log10(Math.Abs((double)value)));
            while (true)
            {
                mantissa = RoundScaled(value, Precision - exponent);
                if (mantissa >= high)
                {
                    exponent++;
                }
                else if (mantissa < low)
                {
                    exponent--;
                }
                else
                {
                    break;
                }
            }
        }

        string digits = mantissa.ToString(CultureInfo.InvariantCulture).PadLeft(Precision + 1, '0');
        string exponentDigits = Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        return sign + digits[..1] + "." + digits[1..] + "e" + (exponent < 0 ? "-" : "+") + exponentDigits;
    }

    /// <summary>Rounds <c>|value| * 10^scale</c> to an integer, half to even, with exact arithmetic.</summary>
    /// <param name="value">A finite value.</param>
    /// <param name="scale">The power of ten to multiply by; may be negative.</param>
    /// <returns>The rounded magnitude.</returns>
    private static BigInteger RoundScaled(float value, int scale)
    {
        // |value| = significand * 2^binaryExponent exactly.
        int bits = BitConverter.SingleToInt32Bits(value);
        int biased = (bits >> 23) & 0xFF;
        int fraction = bits & 0x7FFFFF;
        BigInteger numerator = biased == 0 ? fraction : fraction | 0x800000;
        int binaryExponent = biased == 0 ? -149 : biased - 150;
        BigInteger denominator = BigInteger.One;

        if (binaryExponent >= 0)
        {
            numerator <<= binaryExponent;
        }
        else
        {
            denominator <<= -binaryExponent;
        }

        if (scale >= 0)
        {
            numerator *= BigInteger.Pow(10, scale);
        }
        else
        {
            denominator *= BigInteger.Pow(10, -scale);
        }

        BigInteger quotient = BigInteger.DivRem(numerator, denominator, out BigInteger remainder);
        int half = (remainder * 2).CompareTo(denominator);
        return half > 0 || (half == 0 && !quotient.IsEven) ? quotient + 1 : quotient;
    }
}
