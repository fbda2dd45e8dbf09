using ArenaGrad.Capture;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

public sealed partial class Arena
{
    // The custom functions on the tape: one entry per Apply that was recorded (OpCode.Custom's Int0). Entries follow the
    // tape: a scope that rewinds the tape makes its entries stale, and the next Apply trims them from the end.
    private NativeList<CustomEntry> _customEntries;
    private Tensor[] _customSaved = [];        // tensors saved by forwards, [SavedStart, +SavedCount) per entry
    private int[] _customSavedVersions = [];   // their versions when saved
    private int _customSavedCount;
    private CustomFunctionStore?[] _customStores = []; // one per function type, by CustomFunctionType<T>.Id
    private Tensor?[] _customGradients = [];   // the input gradients a custom backward fills
    private int _customForward = -1;           // the entry whose forward is running (SaveForBackward is only valid then)

    private struct CustomEntry
    {
        public int TypeId, Index, SavedStart, SavedCount, InputStart, InputCount, TapeIndex;
        public ulong OutputGeneration;
        public bool Recording;
    }

    internal Tensor ApplyCustom<TFunction>(in TFunction function, ReadOnlySpan<Tensor> inputs) where TFunction : struct, ICustomFunction
    {
        CheckUse();
        ThrowIfCapturing(CaptureRefusal.CustomFunction, "Autograd.Apply");
        bool record = false;
        foreach (Tensor input in inputs)
        {
            if (!ReferenceEquals(input.Arena, this))
                throw new ArgumentException("Every input of a custom function must belong to the same arena.", nameof(inputs));
            record |= RequiresGrad(input.Slot);
        }
        record &= IsGradEnabled;
        TrimCustomEntries();
        // All or nothing: a forward or an output slot refused under the memory cap (or a forward that throws) leaves the
        // arena as it was, tensors the forward made included.
        using OpTransaction op = BeginOp();
        CustomFunctionStore<TFunction> store = StoreOf<TFunction>();
        int entryIndex = _customEntries.Add(new CustomEntry
        {
            TypeId = CustomFunctionType<TFunction>.Id, Index = store.Add(in function), SavedStart = _customSavedCount,
            InputStart = AddOperands(inputs), InputCount = inputs.Length, TapeIndex = -1, Recording = record,
        });
        int previousForward = _customForward;
        _customForward = entryIndex;
        bool gradEnabled = IsGradEnabled;
        IsGradEnabled = false; // PyTorch runs a Function's forward in no-grad mode
        try
        {
            Tensor result = store.Forward(_customEntries[entryIndex].Index, new FunctionContext(this, entryIndex), inputs);
            if (!ReferenceEquals(result.Arena, this))
                throw new ArgumentException($"{store.Name}.Forward returned a tensor of another arena.");
            if (DTypeOf(result.Slot) != DType.Float32 && record)
                throw new ArgumentException($"{store.Name}.Forward returned a {DTypeOf(result.Slot)} tensor; a differentiable function returns Float32.");
            IsGradEnabled = gradEnabled;
            if (!record)
            {
                DropCustomEntry(entryIndex);
                return op.Commit(result);
            }
            int output = NewSlot(ShapeOf(result.Slot), requiresGrad: true);
            Values(result.Slot).CopyTo(Values(output));
            var instruction = new Instruction(OpCode.Custom, output, -1)
            {
                Int0 = entryIndex, OperandStart = _customEntries[entryIndex].InputStart, OperandCount = inputs.Length,
            };
            Record(in instruction, onTape: true);
            ref CustomEntry entry = ref _customEntries[entryIndex];
            entry.TapeIndex = ProducerOf(output);
            entry.OutputGeneration = _rows[output].Generation;
            return op.Commit(output);
        }
        catch
        {
            if (_customEntries.Count > entryIndex && _customEntries[entryIndex].TapeIndex < 0) DropCustomEntry(entryIndex);
            throw;
        }
        finally
        {
            IsGradEnabled = gradEnabled;
            _customForward = previousForward;
        }
    }

    private CustomFunctionStore<TFunction> StoreOf<TFunction>() where TFunction : struct, ICustomFunction
    {
        int id = CustomFunctionType<TFunction>.Id;
        if (_customStores.Length <= id) Array.Resize(ref _customStores, Math.Max(id + 1, 2 * _customStores.Length));
        return (CustomFunctionStore<TFunction>)(_customStores[id] ??= new CustomFunctionStore<TFunction>());
    }

    /// <summary>Removes the last entry (a forward that threw, or one that needs no backward) and what it saved.</summary>
    private void DropCustomEntry(int entryIndex)
    {
        CustomEntry entry = _customEntries[entryIndex];
        _customStores[entry.TypeId]!.Count = entry.Index;
        Array.Clear(_customSaved, entry.SavedStart, _customSavedCount - entry.SavedStart);
        _customSavedCount = entry.SavedStart;
        _customEntries.Count = entryIndex;
    }

    /// <summary>Drops entries whose instruction a scope has released (they are always the newest ones).</summary>
    private void TrimCustomEntries()
    {
        while (_customEntries.Count > 0)
        {
            int last = _customEntries.Count - 1;
            CustomEntry entry = _customEntries[last];
            if (entry.TapeIndex < 0) return; // its forward is running (a custom function applied inside another's forward)
            bool live = entry.TapeIndex < _tape.Count && _tape[entry.TapeIndex].Op == OpCode.Custom
                && _tape[entry.TapeIndex].Int0 == last && _rows[_tape[entry.TapeIndex].Output].Generation == entry.OutputGeneration;
            if (live) return;
            DropCustomEntry(last);
        }
    }

    internal void SaveForCustomBackward(int entryIndex, ReadOnlySpan<Tensor> tensors)
    {
        CheckUse();
        if (_customForward != entryIndex)
            throw new InvalidOperationException("SaveForBackward can only be called from the custom function's Forward.");
        if (_customSaved.Length < _customSavedCount + tensors.Length)
        {
            int size = Math.Max(_customSavedCount + tensors.Length, 2 * _customSaved.Length);
            Array.Resize(ref _customSaved, size);
            Array.Resize(ref _customSavedVersions, size);
        }
        foreach (Tensor t in tensors)
        {
            if (!ReferenceEquals(t.Arena, this)) throw new ArgumentException("A custom function can only save tensors of its own arena.", nameof(tensors));
            _customSaved[_customSavedCount] = t;
            _customSavedVersions[_customSavedCount++] = VersionOf(t.Slot);
        }
        _customEntries[entryIndex].SavedCount += tensors.Length;
    }

    internal ReadOnlySpan<Tensor> CustomSavedTensors(int entryIndex)
    {
        CheckUse();
        CustomEntry entry = _customEntries[entryIndex];
        return new ReadOnlySpan<Tensor>(_customSaved, entry.SavedStart, entry.SavedCount);
    }

    internal bool CustomNeedsInputGrad(int entryIndex, int index)
    {
        CheckUse();
        CustomEntry entry = _customEntries[entryIndex];
        if ((uint)index >= (uint)entry.InputCount)
            throw new ArgumentOutOfRangeException(nameof(index), $"Expected an input index in [0, {entry.InputCount}), but got {index}.");
        return entry.Recording && RequiresGrad(_operands[entry.InputStart + index]);
    }

    /// <summary>grad_fn name of a custom function's instruction: its type's name plus "Backward", as PyTorch prints it.</summary>
    internal string CustomGradFnName(in Instruction ins) => _customStores[_customEntries[ins.Int0].TypeId]!.Name + "Backward";

    /// <summary>Refuses a saved tensor changed in place since its forward saved it.</summary>
    private void CheckCustomSavedVersions(int instructionIndex, in Instruction ins)
    {
        CustomEntry entry = _customEntries[ins.Int0];
        for (int k = entry.SavedStart; k < entry.SavedStart + entry.SavedCount; k++)
        {
            int slot = _customSaved[k].Slot;
            if (VersionOf(slot) != _customSavedVersions[k]) ThrowModifiedInPlace(instructionIndex, slot, _customSavedVersions[k]);
        }
    }

    /// <summary>The graph rule of a custom function: calls its Backward and hands on the gradients it set.</summary>
    internal void RunCustomBackward(in Instruction ins, Tensor gradOutput)
    {
        CustomEntry entry = _customEntries[ins.Int0];
        CustomFunctionStore store = _customStores[entry.TypeId]!;
        if (_customGradients.Length < entry.InputCount) _customGradients = new Tensor?[Math.Max(entry.InputCount, 2 * _customGradients.Length)];
        Span<Tensor?> gradients = _customGradients.AsSpan(0, entry.InputCount);
        gradients.Clear();
        store.Backward(entry.Index, new FunctionContext(this, ins.Int0), gradOutput, gradients);
        for (int k = 0; k < entry.InputCount; k++)
        {
            int input = _operands[entry.InputStart + k];
            if (gradients[k] is not Tensor gradient || !NeedsGraphGradient(input)) continue;
            if (!ReferenceEquals(gradient.Arena, this) || DTypeOf(gradient.Slot) != DType.Float32 || !ShapeOf(gradient.Slot).SequenceEqual(ShapeOf(input)))
                throw new InvalidOperationException(
                    $"Function {store.Name}Backward returned an invalid gradient at index {k} - got {ShapeMath.Format(ShapeOf(gradient.Slot))} but expected shape compatible with {ShapeMath.Format(ShapeOf(input))}");
            AccumulateGraphGradient(input, gradient);
        }
        gradients.Clear();
    }
}

/// <summary>The structs of one custom function type applied in an arena, by entry.</summary>
internal abstract class CustomFunctionStore
{
    /// <summary>How many are held (entries above it were dropped).</summary>
    public int Count;

    /// <summary>The type's name, which PyTorch's grad_fn name starts with.</summary>
    public abstract string Name { get; }

    /// <summary>Runs the backward of the function at <paramref name="index"/>.</summary>
    public abstract void Backward(int index, FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs);
}

/// <summary>A typed store: calls go to the struct's own methods with no boxing.</summary>
internal sealed class CustomFunctionStore<TFunction> : CustomFunctionStore where TFunction : struct, ICustomFunction
{
    private TFunction[] _items = new TFunction[4];

    public override string Name { get; } = typeof(TFunction).Name;

    public int Add(in TFunction function)
    {
        if (Count == _items.Length) Array.Resize(ref _items, 2 * _items.Length);
        _items[Count] = function;
        return Count++;
    }

    public Tensor Forward(int index, FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => _items[index].Forward(ctx, inputs);

    public override void Backward(int index, FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs) =>
        _items[index].Backward(ctx, gradOutput, gradInputs);
}

/// <summary>A small number per custom function type, to index an arena's stores without a dictionary.</summary>
internal static class CustomFunctionType<TFunction> where TFunction : struct, ICustomFunction
{
    public static readonly int Id = CustomFunctionTypes.Next();
}

internal static class CustomFunctionTypes
{
    private static int _count;

    public static int Next() => System.Threading.Interlocked.Increment(ref _count) - 1;
}
