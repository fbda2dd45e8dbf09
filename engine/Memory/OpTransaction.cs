namespace ArenaGrad;

/// <summary>Makes an op all-or-nothing: disposing it before <see cref="Commit(int)"/> puts the arena back exactly as
/// <see cref="Arena.BeginOp"/> found it (slots, floats, blocks, tape, operands, gradient bytes).</summary>
/// <remarks>A ref struct on the op's stack frame, so it costs a few stores and allocates nothing. Ops built from
/// other ops (composite losses, optimizer state) get atomicity from the one <c>using</c> line.</remarks>
internal ref struct OpTransaction
{
    private readonly Arena _arena;
    private readonly Arena.OpMark _mark;
    private bool _committed;

    internal OpTransaction(Arena arena, Arena.OpMark mark)
    {
        _arena = arena;
        _mark = mark;
    }

    /// <summary>Keeps everything the op made and returns the handle of its result slot.</summary>
    public Tensor Commit(int slot)
    {
        _committed = true;
        return _arena.Handle(slot);
    }

    /// <summary>Keeps everything the op made and returns <paramref name="result"/> (an op built from other ops).</summary>
    public Tensor Commit(Tensor result)
    {
        _committed = true;
        return result;
    }

    /// <summary>Keeps everything the op made (for ops that return no tensor).</summary>
    public void Commit() => _committed = true;

    /// <summary>Undoes the op unless it was committed.</summary>
    public readonly void Dispose()
    {
        if (!_committed) _arena.RollBack(_mark);
    }
}
