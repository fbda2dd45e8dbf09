using System.Collections.Generic;

namespace ArenaGrad;

public sealed partial class Arena : IHookOwner
{
    // Tensor hooks in registration order (PyTorch runs a tensor's hooks in that order, each on the previous one's
    // result). Null until the first registration: an arena without hooks pays one null test per backward.
    private List<HookEntry>? _hooks;
    private int _nextHookId;

    private readonly record struct HookEntry(int Id, int Slot, ulong Generation, GradientHook Hook);

    /// <summary>Registers <paramref name="hook"/> on <paramref name="slot"/>; released tensors' hooks are dropped here.</summary>
    internal RemovableHandle AddHook(int slot, GradientHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _hooks ??= [];
        _hooks.RemoveAll(h => !IsLive(h.Slot, h.Generation));
        int id = ++_nextHookId;
        _hooks.Add(new HookEntry(id, slot, _rows[slot].Generation, hook));
        return new RemovableHandle(this, id);
    }

    void IHookOwner.RemoveHook(int id) => RemoveHook(id);

    internal void RemoveHook(int id)
    {
        CheckUse();
        _hooks?.RemoveAll(h => h.Id == id);
    }

    /// <summary>Whether a live tensor of this arena has a hook (backward then takes the pass whose gradients are tensors,
    /// so a hook can see and replace them).</summary>
    internal bool HasHooks
    {
        get
        {
            if (_hooks is null || _hooks.Count == 0) return false;
            foreach (HookEntry h in _hooks)
                if (IsLive(h.Slot, h.Generation)) return true;
            return false;
        }
    }


    /// <summary>Refuses a captured training step's backward while a tensor has a hook: replays run the fused pass, which
    /// does not call hooks, and would skip them silently.</summary>
    internal void ThrowIfHooked()
    {
        if (HasHooks)
            throw new InvalidOperationException(
                "A captured training step runs the fused backward, which does not call tensor hooks, and a tensor of this arena has one. " +
                "Remove the hooks (RemovableHandle.Remove) before capturing or replaying the step, or train it eagerly.");
    }

    /// <summary>Runs the hooks of <paramref name="slot"/> on its gradient tensor (the slot <paramref name="gradient"/>) in
    /// registration order; returns the slot of the gradient that goes on (a hook's replacement, or the same).</summary>
    private int RunHooks(int slot, int gradient)
    {
        if (_hooks is null || _hooks.Count == 0) return gradient;
        // By index over a snapshot count: a hook may register another (PyTorch runs it from the next pass).
        int count = _hooks.Count;
        for (int i = 0; i < count && i < _hooks.Count; i++)
        {
            HookEntry h = _hooks[i];
            if (h.Slot != slot || h.Generation != _rows[slot].Generation) continue;
            if (h.Hook(Handle(gradient)) is not Tensor replaced) continue;
            int own = OwnSlot(replaced);
            if (DTypeOf(own) != DType.Float32)
                throw new InvalidOperationException(
                    $"hook '{h.Hook.Method.Name}' has changed the type of value (was Float32 got {DTypeOf(own)})");
            if (!ShapeOf(own).SequenceEqual(ShapeOf(slot)))
                throw new InvalidOperationException($"hook '{h.Hook.Method.Name}' has changed the size of value");
            gradient = own;
        }
        return gradient;
    }
}
