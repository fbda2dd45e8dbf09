namespace ArenaGrad;

/// <summary>Releases, when disposed, every tensor, tape entry and gradient made since
/// <see cref="Arena.Scope"/> returned it. O(1): the arena's stacks are rewound to where they were.</summary>
/// <remarks>A struct so that <c>using (arena.Scope())</c> allocates nothing. Scopes nest and must be disposed
/// innermost first; ending one twice is harmless. Handles to released tensors fail loudly when used.</remarks>
public readonly struct ArenaScope : IDisposable
{
    private readonly Arena? _arena;
    private readonly int _scopeId;

    internal ArenaScope(Arena arena, int scopeId)
    {
        _arena = arena;
        _scopeId = scopeId;
    }

    /// <summary>Releases everything made inside this scope. A second call does nothing.</summary>
    /// <exception cref="InvalidOperationException">An inner scope is still open.</exception>
    public void Dispose() => _arena?.EndScope(_scopeId);
}

/// <summary>Restores the arena's previous grad mode when disposed (returned by <see cref="Arena.NoGrad"/>,
/// <see cref="Arena.EnableGrad"/> and <see cref="Arena.SetGradEnabled"/>).</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly Arena? _arena;
    private readonly bool _previous;

    internal GradModeScope(Arena arena, bool previous)
    {
        _arena = arena;
        _previous = previous;
    }

    /// <summary>Puts back the grad mode that was in force when this scope began.</summary>
    public void Dispose()
    {
        if (_arena is not null) _arena.IsGradEnabled = _previous;
    }
}
