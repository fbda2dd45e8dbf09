using System.Runtime.CompilerServices;
using ArenaGrad.Kernels.Gemm;

namespace ArenaGrad.Kernels.Convolution;

/// <summary>The unfolded images of a batch, [C·kH·kW, N·OH·OW] (row r = (c·kH + i)·kW + j, column J = n·L + oh·OW + ow, as
/// <see cref="Im2Col.Unfold(ReadOnlySpan{float}, Span{float}, in ConvGeometry, int)"/> lays each image out side by side), read from the images themselves: the packed GEMM
/// packs its panels straight from x (implicit GEMM) instead of from an unfolded copy: a forward that keeps no
/// columns for the weight gradient (inference, or W frozen). Element (r, J) is
/// x[n, c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], 0 in the padding: the offset of a window's origin per column plus the
/// offset of a kernel tap per row, two small tables built once per call; a panel row copies each stretch of columns
/// within one output row as a strided run.</summary>
/// <remarks>Packing copies values, so the panels, and every product, have the bits the unfolded matrix would give. The
/// tables live in one pinned array per thread, grown to the largest convolution seen and then reused (no allocation
/// per call once warm); a view is valid until the next <see cref="For"/> on the same thread.</remarks>
internal readonly unsafe struct ConvColumns
{
    [ThreadStatic] private static int[]? t_tables;

    private readonly float* _x;
    private readonly int* _column, _columnH, _columnW, _run, _row, _rowH, _rowW;
    private readonly int _height, _width, _strideW;
    private readonly bool _padded;

    /// <summary>Columns of the unfolded batch: N·OH·OW.</summary>
    public readonly int Columns;

    /// <summary>Rows of the unfolded batch: C·kH·kW.</summary>
    public readonly int Rows;

    private ConvColumns(float* x, int* tables, in ConvGeometry g, int columns)
    {
        _x = x;
        Columns = columns;
        Rows = g.Rows;
        _column = tables;
        _columnH = _column + columns;
        _columnW = _columnH + columns;
        _run = _columnW + columns;
        _row = _run + columns;
        _rowH = _row + Rows;
        _rowW = _rowH + Rows;
        _height = g.Height;
        _width = g.Width;
        _strideW = g.StrideW;
        _padded = g.PadH != 0 || g.PadW != 0; // without padding every window lies inside its image
    }

    /// <summary>The unfolded view of <paramref name="images"/> images [C, H, W] at <paramref name="x"/> (pinned by the
    /// caller for as long as the view is used).</summary>
    public static ConvColumns For(float* x, in ConvGeometry g, int images)
    {
        int positions = g.Positions, columns = images * positions, rows = g.Rows;
        int length = 4 * columns + 3 * rows;
        int[]? tables = t_tables;
        if (tables is null || tables.Length < length)
            t_tables = tables = GC.AllocateUninitializedArray<int>(length, pinned: true);
        fixed (int* start = tables)
        {
            var view = new ConvColumns(x, start, in g, columns); // pinned array: the pointer outlives the fixed block
            int width = g.Width, plane = g.Height * width;
            for (int n = 0, column = 0; n < images; n++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++, column++)
                    {
                        int h = oh * g.StrideH - g.PadH, w = ow * g.StrideW - g.PadW;
                        view._columnH[column] = h;
                        view._columnW[column] = w;
                        view._column[column] = n * g.InputLength + h * width + w;
                        view._run[column] = g.OutW - ow;
                    }
            for (int c = 0, row = 0; c < g.Channels; c++)
                for (int i = 0; i < g.KernelH; i++)
                    for (int j = 0; j < g.KernelW; j++, row++)
                    {
                        int h = i * g.DilationH, w = j * g.DilationW;
                        view._rowH[row] = h;
                        view._rowW[row] = w;
                        view._row[row] = c * plane + h * width + w;
                    }
            return view;
        }
    }

    /// <summary>Element (row, column) of the unfolded batch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float At(int row, int column)
    {
        if (!_padded) return _x[_column[column] + _row[row]];
        int h = _columnH[column] + _rowH[row], w = _columnW[column] + _rowW[row];
        return (uint)h < (uint)_height && (uint)w < (uint)_width ? _x[_column[column] + _row[row]] : 0f;
    }

    /// <summary>Packs unfold[p0 .. p0+kc, j0 .. j0+nc]: the B of the forward product W @ unfold(x).</summary>
    [MethodImpl(Kernel.Compile)]
    internal void PackColumns(int p0, int kc, int j0, int nc, int nr, float* packed)
    {
        for (int q = 0; q < nc; q += nr, packed += nr * kc)
        {
            int count = Math.Min(nr, nc - q);
            int* column = _column + j0 + q, run = _run + j0 + q;
            for (int p = 0; p < kc; p++)
            {
                float* target = packed + p * nr;
                int row = p0 + p;
                if (!_padded)
                {
                    // a window row's columns are strideW apart in x: copy each stretch of the panel within one output row
                    float* origin = _x + _row[row];
                    for (int l = 0; l < count;)
                    {
                        int length = Math.Min(run[l], count - l);
                        Im2Col.CopyStrided(origin + column[l], _strideW, length, target + l);
                        l += length;
                    }
                }
                else
                {
                    for (int l = 0; l < count; l++) target[l] = At(row, j0 + q + l);
                }
                for (int l = count; l < nr; l++) target[l] = 0f;
            }
        }
    }
}

/// <summary>op(B) = the unfolded batch [C·kH·kW, N·L], for y = W @ unfold(x).</summary>
internal readonly struct ConvColumnPanels(ConvColumns columns) : IPanelSource
{
    private readonly ConvColumns _columns = columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Pack(int p0, int kc, int j0, int nc, int nr, float* packed) => _columns.PackColumns(p0, kc, j0, nc, nr, packed);
}
