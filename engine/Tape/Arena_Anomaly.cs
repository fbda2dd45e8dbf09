using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics;
using System.Text;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

public sealed unsafe partial class Arena
{
    // Read once per executed instruction by backward and once per recorded op: a predictable branch when off.
    private bool _detectAnomaly;

    // Forward call sites of instructions recorded while anomaly mode was on, indexed by tape index. The output
    // handle names the tensor the instruction made, so an entry left over from an instruction a scope released
    // (and whose tape index was reused while the mode was off) is recognised as stale by its generation.
    private List<(Tensor Output, StackTrace CallSite)?>? _callSites;

    /// <summary>Whether anomaly detection is on (<c>torch.is_anomaly_enabled()</c>). Off by default.</summary>
    public bool IsAnomalyEnabled => _detectAnomaly;

    /// <summary><c>torch.autograd.detect_anomaly()</c> / <c>set_detect_anomaly(enabled)</c>: until the returned scope is
    /// disposed, backward checks every gradient each rule produces and throws <see cref="GradientAnomalyException"/>
    /// at the first NaN or infinity, and every op recorded meanwhile keeps the stack trace of its forward call so the
    /// exception can say where the failing op was recorded.</summary>
    /// <remarks>For debugging: while on, recording an op captures a stack trace and backward reads every gradient
    /// again, both of which allocate and cost time. Off, it costs one branch per recorded op and per executed
    /// instruction. A backward stopped by the exception leaves the gradients it had written so far (PyTorch's does too).</remarks>
    public AnomalyModeScope DetectAnomaly(bool enabled = true)
    {
        CheckUse();
        var scope = new AnomalyModeScope(this, _detectAnomaly);
        _detectAnomaly = enabled;
        return scope;
    }

    internal void SetAnomalyMode(bool enabled) => _detectAnomaly = enabled;

    /// <summary>Keeps the stack trace of the forward call that recorded the instruction at <paramref name="index"/>.</summary>
    private void RecordCallSite(int index)
    {
        _callSites ??= [];
        // Entries at or past index belong to instructions a scope has released.
        if (_callSites.Count > index) _callSites.RemoveRange(index, _callSites.Count - index);
        while (_callSites.Count < index) _callSites.Add(null);
        _callSites.Add((Handle(_tape[index].Output), new StackTrace(1, fNeedFileInfo: true)));
    }

    /// <summary>Runs the rule of the instruction at <paramref name="index"/>, then checks the gradient of each input it
    /// wrote. A gradient that held NaN or infinity before the rule (a leaf's, from an earlier pass) is not blamed on it.</summary>
    private void ApplyBackwardRuleDetectingAnomaly(int index)
    {
        ref Instruction instruction = ref _tape[index];
        int[] inputs = InputSlotsOf(instruction);
        var wasFinite = new bool[inputs.Length];
        for (int k = 0; k < inputs.Length; k++)
            wasFinite[k] = inputs[k] < 0 || !_rows[inputs[k]].Has(TensorFlags.GradientLive) || AllFinite(Gradient(inputs[k]));

        ApplyBackwardRule(instruction);

        // PyTorch checks a node's outputs in order and reports the first bad one.
        int worstOutput = int.MaxValue;
        bool worstIsNan = false;
        for (int k = 0; k < inputs.Length; k++)
        {
            int slot = inputs[k];
            if (slot < 0 || !wasFinite[k] || !RequiresGrad(slot) || !_rows[slot].Has(TensorFlags.GradientLive)) continue;
            ReadOnlySpan<float> gradient = Gradient(slot);
            if (AllFinite(gradient)) continue;
            int output = TorchOutputIndex(instruction, k, index);
            if (output < worstOutput)
            {
                worstOutput = output;
                worstIsNan = ContainsNaN(gradient);
            }
        }
        if (worstOutput == int.MaxValue) return;

        string function = GradFnNameOf(index);
        throw new GradientAnomalyException(function, worstOutput, worstIsNan, ForwardCallSiteOf(index));
    }

    /// <summary>The input slots of an instruction in call order (x, weight, bias for Linear; the list for Cat), -1 for none.
    /// A slot that appears twice (x * x, cat([a, b, a])) is listed once, at its first position.</summary>
    private int[] InputSlotsOf(in Instruction instruction)
    {
        int[] inputs = OpTable.Of(instruction.Op).OperandsAreInputs
            ? OperandsOf(instruction).ToArray()
            : [instruction.Input0, instruction.Input1, instruction.Input2];
        for (int k = 1; k < inputs.Length; k++)
            if (Array.IndexOf(inputs, inputs[k], 0, k) >= 0) inputs[k] = -1;
        return inputs;
    }

    /// <summary>Which output of PyTorch's backward node carries the gradient of input <paramref name="position"/>. The
    /// same position, except for AddmmBackward0 (a 2-d Linear with bias), which PyTorch computes as addmm(bias, x, wᵀ).</summary>
    private int TorchOutputIndex(in Instruction instruction, int position, int index)
    {
        if (instruction.Op == OpCode.Linear && GradFnNameOf(index) == "AddmmBackward0")
            return position switch { 0 => 1, 1 => 2, _ => 0 };
        return position;
    }

    /// <summary>PyTorch's traceback note: where the instruction at <paramref name="index"/> was recorded, or that it
    /// was recorded with anomaly mode off.</summary>
    private string? ForwardCallSiteOf(int index)
    {
        if (_callSites is null || index >= _callSites.Count || _callSites[index] is not { } site
            || !site.Output.Equals(Handle(_tape[index].Output)))
            return null;
        return FormatUserFrames(site.CallSite);
    }

    /// <summary>The frames of <paramref name="trace"/> from the first one outside the engine (the user's call) outward.</summary>
    private static string FormatUserFrames(StackTrace trace)
    {
        var text = new StringBuilder();
        bool inUserCode = false;
        string engine = typeof(Arena).Assembly.GetName().Name!;
        for (int i = 0; i < trace.FrameCount; i++)
        {
            StackFrame? frame = trace.GetFrame(i);
            StackFrameNames? names = frame is null ? null : StackFrameNames.Of(frame);
            if (frame is null || names is not StackFrameNames method) continue;
            string assembly = method.Assembly;
            inUserCode |= assembly != engine && !assembly.StartsWith(engine + ",", StringComparison.Ordinal);
            if (!inUserCode) continue;
            text.Append("   at ").Append(method.Type).Append('.').Append(method.Method);
            string? file = frame.GetFileName();
            if (file is not null) text.Append(" in ").Append(file).Append(":line ").Append(frame.GetFileLineNumber());
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Whether every element is neither NaN nor infinite (x * 0 is 0 exactly for those, NaN otherwise).</summary>
    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        int i = 0;
        var sum = Vector<float>.Zero;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            sum += new Vector<float>(values[i..]) * Vector<float>.Zero;
        float tail = 0f;
        for (; i < values.Length; i++) tail += values[i] * 0f;
        return Vector.Dot(sum, Vector<float>.One) + tail == 0f;
    }

    private static bool ContainsNaN(ReadOnlySpan<float> values)
    {
        foreach (float value in values)
            if (float.IsNaN(value)) return true;
        return false;
    }
}

/// <summary>Restores the arena's previous anomaly mode when disposed (returned by <see cref="Arena.DetectAnomaly"/>).</summary>
public readonly struct AnomalyModeScope : IDisposable
{
    private readonly Arena? _arena;
    private readonly bool _previous;

    internal AnomalyModeScope(Arena arena, bool previous)
    {
        _arena = arena;
        _previous = previous;
    }

    /// <summary>Puts back the anomaly mode that was in force when this scope began.</summary>
    public void Dispose() => _arena?.SetAnomalyMode(_previous);
}
