using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels;

// The fused GRU and LSTM cells (issue 18): the gate nonlinearities and the state update in one pass over a row of H
// elements, forward and backward. Each is an IUpdateKernel written once over the lane arithmetic of Lanes.cs with the
// engine's own sigmoid and tanh (Transcendentals), so Vector512, Vector256, Vector128 and the scalar path give the same
// bits; OptimizerKernels.Run dispatches the widths (ForwardRules_Recurrent.cs runs one row at a time) and RunAtWidth lets tests reach each one. Rows are batch rows: gi and
// gh are [B, G·H] (the input and hidden projections, gate blocks in PyTorch's order), states are [B, H]. The formulas
// and their order of operations are PyTorch 1.13's CPU cells (ATen/native/RNN.cpp): gates = gh + gi.

/// <summary>GRU cell forward, one row: r = σ(gh_r + gi_r), z = σ(gh_z + gi_z), n = tanh(gi_n + r·gh_n),
/// h' = (h − n)·z + n; saves r, z, n when <c>saved</c> is set.</summary>
internal unsafe struct GruCellForward : IUpdateKernel
{
    private readonly float* _gi, _gh, _h, _y, _saved;
    private readonly int _hidden;

    /// <summary>Row pointers: gi, gh [3H], h, y [H], saved [3H] or null.</summary>
    public GruCellForward(float* gi, float* gh, float* h, float* y, float* saved, int hidden)
    {
        _gi = gi; _gh = gh; _h = h; _y = y; _saved = saved; _hidden = hidden;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        nuint h = (nuint)_hidden;
        TV r = Transcendentals.Sigmoid<TV, TL>(TL.Add(TL.Load(_gh + i), TL.Load(_gi + i)));
        TV z = Transcendentals.Sigmoid<TV, TL>(TL.Add(TL.Load(_gh + h + i), TL.Load(_gi + h + i)));
        TV n = Transcendentals.Tanh<TV, TL>(TL.Add(TL.Load(_gi + 2 * h + i), TL.Multiply(TL.Load(_gh + 2 * h + i), r)));
        TL.Store(TL.Add(TL.Multiply(TL.Subtract(TL.Load(_h + i), n), z), n), _y + i);
        if (_saved != null)
        {
            TL.Store(r, _saved + i);
            TL.Store(z, _saved + h + i);
            TL.Store(n, _saved + 2 * h + i);
        }
    }
}

/// <summary>GRU cell backward, one row, from g = dh' and the saved r, z, n: dh += g·z; dn = g·(1 − z)·(1 − n²);
/// dz = g·(h − n)·z·(1 − z); dr = dn·gh_n·r·(1 − r); dgi += [dr, dz, dn]; dgh += [dr, dz, dn·r]. A null target
/// is an input that takes no gradient.</summary>
internal unsafe struct GruCellBackward : IUpdateKernel
{
    private readonly float* _g, _saved, _gh, _h, _dgi, _dgh, _dh;
    private readonly int _hidden;

    /// <summary>Row pointers: g, h, dh [H]; saved, gh, dgi, dgh [3H].</summary>
    public GruCellBackward(float* g, float* saved, float* gh, float* h, float* dgi, float* dgh, float* dh, int hidden)
    {
        _g = g; _saved = saved; _gh = gh; _h = h; _dgi = dgi; _dgh = dgh; _dh = dh; _hidden = hidden;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        nuint h = (nuint)_hidden;
        TV one = TL.Create(1f);
        TV g = TL.Load(_g + i);
        TV r = TL.Load(_saved + i), z = TL.Load(_saved + h + i), n = TL.Load(_saved + 2 * h + i);
        if (_dh != null) TL.Store(TL.Add(TL.Load(_dh + i), TL.Multiply(g, z)), _dh + i);
        if (_dgi == null && _dgh == null) return;
        TV dn = TL.Multiply(TL.Multiply(g, TL.Subtract(one, z)), TL.Subtract(one, TL.Multiply(n, n)));
        TV dz = TL.Multiply(TL.Multiply(g, TL.Subtract(TL.Load(_h + i), n)), TL.Multiply(z, TL.Subtract(one, z)));
        TV dr = TL.Multiply(TL.Multiply(dn, TL.Load(_gh + 2 * h + i)), TL.Multiply(r, TL.Subtract(one, r)));
        if (_dgi != null)
        {
            TL.Store(TL.Add(TL.Load(_dgi + i), dr), _dgi + i);
            TL.Store(TL.Add(TL.Load(_dgi + h + i), dz), _dgi + h + i);
            TL.Store(TL.Add(TL.Load(_dgi + 2 * h + i), dn), _dgi + 2 * h + i);
        }
        if (_dgh != null)
        {
            TL.Store(TL.Add(TL.Load(_dgh + i), dr), _dgh + i);
            TL.Store(TL.Add(TL.Load(_dgh + h + i), dz), _dgh + h + i);
            TL.Store(TL.Add(TL.Load(_dgh + 2 * h + i), TL.Multiply(dn, r)), _dgh + 2 * h + i);
        }
    }
}

/// <summary>LSTM cell state, one row: with gates = gh + gi, i = σ(gates_i), f = σ(gates_f), g = tanh(gates_g),
/// c' = f·c + i·g; saves i, f, g when <c>saved</c> is set.</summary>
internal unsafe struct LstmCellStateForward : IUpdateKernel
{
    private readonly float* _gi, _gh, _c, _y, _saved;
    private readonly int _hidden;

    /// <summary>Row pointers: gi, gh [4H], c, y [H], saved [3H] or null.</summary>
    public LstmCellStateForward(float* gi, float* gh, float* c, float* y, float* saved, int hidden)
    {
        _gi = gi; _gh = gh; _c = c; _y = y; _saved = saved; _hidden = hidden;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        nuint h = (nuint)_hidden;
        TV ig = Transcendentals.Sigmoid<TV, TL>(TL.Add(TL.Load(_gh + i), TL.Load(_gi + i)));
        TV fg = Transcendentals.Sigmoid<TV, TL>(TL.Add(TL.Load(_gh + h + i), TL.Load(_gi + h + i)));
        TV cg = Transcendentals.Tanh<TV, TL>(TL.Add(TL.Load(_gh + 2 * h + i), TL.Load(_gi + 2 * h + i)));
        TL.Store(TL.Add(TL.Multiply(fg, TL.Load(_c + i)), TL.Multiply(ig, cg)), _y + i);
        if (_saved != null)
        {
            TL.Store(ig, _saved + i);
            TL.Store(fg, _saved + h + i);
            TL.Store(cg, _saved + 2 * h + i);
        }
    }
}

/// <summary>LSTM cell state backward, one row, from g = dc' and the saved i, f, g: dc += g·f; di = g·g_c·i·(1 − i);
/// df = g·c·f·(1 − f); dg = g·i·(1 − g_c²); the i, f, g blocks of dgi and dgh += [di, df, dg] (o's block untouched).</summary>
internal unsafe struct LstmCellStateBackward : IUpdateKernel
{
    private readonly float* _g, _saved, _c, _dgi, _dgh, _dc;
    private readonly int _hidden;

    /// <summary>Row pointers: g, c, dc [H]; saved [3H]; dgi, dgh [4H].</summary>
    public LstmCellStateBackward(float* g, float* saved, float* c, float* dgi, float* dgh, float* dc, int hidden)
    {
        _g = g; _saved = saved; _c = c; _dgi = dgi; _dgh = dgh; _dc = dc; _hidden = hidden;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        nuint h = (nuint)_hidden;
        TV one = TL.Create(1f);
        TV g = TL.Load(_g + i);
        TV ig = TL.Load(_saved + i), fg = TL.Load(_saved + h + i), cg = TL.Load(_saved + 2 * h + i);
        if (_dc != null) TL.Store(TL.Add(TL.Load(_dc + i), TL.Multiply(g, fg)), _dc + i);
        if (_dgi == null && _dgh == null) return;
        TV di = TL.Multiply(TL.Multiply(g, cg), TL.Multiply(ig, TL.Subtract(one, ig)));
        TV df = TL.Multiply(TL.Multiply(g, TL.Load(_c + i)), TL.Multiply(fg, TL.Subtract(one, fg)));
        TV dg = TL.Multiply(TL.Multiply(g, ig), TL.Subtract(one, TL.Multiply(cg, cg)));
        for (int k = 0; k < 2; k++)
        {
            float* d = k == 0 ? _dgi : _dgh;
            if (d == null) continue;
            TL.Store(TL.Add(TL.Load(d + i), di), d + i);
            TL.Store(TL.Add(TL.Load(d + h + i), df), d + h + i);
            TL.Store(TL.Add(TL.Load(d + 2 * h + i), dg), d + 2 * h + i);
        }
    }
}

/// <summary>LSTM cell output, one row: o = σ(gh_o + gi_o), h' = o·tanh(c'); saves o and tanh(c') when <c>saved</c> is set.</summary>
internal unsafe struct LstmCellOutputForward : IUpdateKernel
{
    private readonly float* _gi, _gh, _c, _y, _saved;
    private readonly int _hidden;

    /// <summary>Row pointers: gi, gh [4H], c' (the new cell state), y [H], saved [2H] or null.</summary>
    public LstmCellOutputForward(float* gi, float* gh, float* c, float* y, float* saved, int hidden)
    {
        _gi = gi; _gh = gh; _c = c; _y = y; _saved = saved; _hidden = hidden;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        nuint h = (nuint)_hidden;
        TV og = Transcendentals.Sigmoid<TV, TL>(TL.Add(TL.Load(_gh + 3 * h + i), TL.Load(_gi + 3 * h + i)));
        TV tc = Transcendentals.Tanh<TV, TL>(TL.Load(_c + i));
        TL.Store(TL.Multiply(og, tc), _y + i);
        if (_saved != null)
        {
            TL.Store(og, _saved + i);
            TL.Store(tc, _saved + h + i);
        }
    }
}

/// <summary>LSTM cell output backward, one row, from g = dh' and the saved o, tanh(c'): do = g·tanh(c')·o·(1 − o) into
/// the o blocks of dgi and dgh; dc' += g·o·(1 − tanh²(c')).</summary>
internal unsafe struct LstmCellOutputBackward : IUpdateKernel
{
    private readonly float* _g, _saved, _dgi, _dgh, _dc;
    private readonly int _hidden;

    /// <summary>Row pointers: g, dc [H]; saved [2H]; dgi, dgh [4H].</summary>
    public LstmCellOutputBackward(float* g, float* saved, float* dgi, float* dgh, float* dc, int hidden)
    {
        _g = g; _saved = saved; _dgi = dgi; _dgh = dgh; _dc = dc; _hidden = hidden;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        nuint h = (nuint)_hidden;
        TV one = TL.Create(1f);
        TV g = TL.Load(_g + i);
        TV og = TL.Load(_saved + i), tc = TL.Load(_saved + h + i);
        if (_dc != null) TL.Store(TL.Add(TL.Load(_dc + i), TL.Multiply(TL.Multiply(g, og), TL.Subtract(one, TL.Multiply(tc, tc)))), _dc + i);
        TV d = TL.Multiply(TL.Multiply(g, tc), TL.Multiply(og, TL.Subtract(one, og)));
        if (_dgi != null) TL.Store(TL.Add(TL.Load(_dgi + 3 * h + i), d), _dgi + 3 * h + i);
        if (_dgh != null) TL.Store(TL.Add(TL.Load(_dgh + 3 * h + i), d), _dgh + 3 * h + i);
    }
}
