using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Memory;

/// <summary>A growable array of unmanaged values in native memory: one column of the arena's
/// struct-of-arrays tables.</summary>
/// <remarks>Growing reallocates, so an element's address is not stable; hold indices, not pointers.
/// The owner must call <see cref="Free"/>. Copying the struct copies the pointer, not the elements: keep
/// exactly one copy (a field) and pass it by <c>ref</c>.</remarks>
internal unsafe struct NativeList<T> where T : unmanaged
{
    private T* _items;
    private int _capacity;

    /// <summary>Number of elements in use.</summary>
    public int Count;

    /// <summary>The element at <paramref name="index"/>; no bounds check (callers validate handles first).</summary>
    public readonly ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _items[index];
    }

    /// <summary>The elements in use.</summary>
    public readonly Span<T> AsSpan() => new(_items, Count);

    /// <summary>Appends one element, growing by doubling.</summary>
    public int Add(in T item)
    {
        if (Count == _capacity) Grow(Count + 1);
        _items[Count] = item;
        return Count++;
    }

    /// <summary>Appends <paramref name="count"/> uninitialised elements and returns the first index.</summary>
    public int AddRange(int count)
    {
        if (Count + count > _capacity) Grow(Count + count);
        int first = Count;
        Count += count;
        return first;
    }

    /// <summary>Makes room for <paramref name="capacity"/> elements without changing <see cref="Count"/>.</summary>
    public void EnsureCapacity(int capacity)
    {
        if (capacity > _capacity) Grow(capacity);
    }

    private void Grow(int needed)
    {
        int capacity = Math.Max(Math.Max(16, needed), _capacity * 2);
        _items = (T*)NativeMemory.Realloc(_items, (nuint)capacity * (nuint)sizeof(T));
        NativeMemoryStats.Allocated((long)(capacity - _capacity) * sizeof(T), newBlock: _capacity == 0);
        _capacity = capacity;
    }

    /// <summary>Releases the native memory.</summary>
    public void Free()
    {
        if (_items != null) NativeMemoryStats.Freed((long)_capacity * sizeof(T));
        NativeMemory.Free(_items);
        _items = null;
        _capacity = 0;
        Count = 0;
    }
}
