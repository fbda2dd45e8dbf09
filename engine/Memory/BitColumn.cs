using System.Runtime.CompilerServices;

namespace ArenaGrad.Memory;

/// <summary>One bit per tensor slot, packed in <c>ulong</c> words (requires-grad, is-leaf, ...).</summary>
/// <remarks>Bits past the allocated words read as 0. A released slot's bits are not cleared: a new tensor
/// in that slot sets all of its bits when it is made. Single copy only (see NativeList).</remarks>
internal struct BitColumn
{
    private NativeList<ulong> _words;

    /// <summary>Whether bit <paramref name="index"/> is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Get(int index)
    {
        int word = index >> 6;
        return word < _words.Count && (_words[word] & (1UL << index)) != 0;
    }

    /// <summary>Sets or clears bit <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int index, bool value)
    {
        int word = index >> 6;
        if (word >= _words.Count) AddWords(word + 1);
        ref ulong bits = ref _words[word];
        ulong mask = 1UL << index;
        bits = value ? bits | mask : bits & ~mask;
    }

    /// <summary>Makes room for bits 0 to <paramref name="count"/> - 1, so that setting them never grows the column.</summary>
    public void EnsureCapacity(int count)
    {
        int words = (int)(((long)count + 63) >> 6);
        if (words > _words.Count) AddWords(words);
    }

    /// <summary>Appends zero words until there are <paramref name="words"/> (off the inlined path of Set).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AddWords(int words)
    {
        _words.EnsureCapacity(words);
        while (_words.Count < words) _words.Add(0);
    }

    /// <summary>Clears every bit (one pass over the words: a slot count / 64 stores).</summary>
    public readonly void ClearAll() => _words.AsSpan().Clear();

    /// <summary>Releases the native memory.</summary>
    public void Free() => _words.Free();
}
