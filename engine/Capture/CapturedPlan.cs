using System.Collections.Generic;
using ArenaGrad.Tape;

namespace ArenaGrad.Capture;

/// <summary>The instructions of a captured step, grouped into fused steps where the plan allows it: a chain of one-input
/// elementwise ops (each reading the previous one's output) runs slice by slice in one pass, and a Linear with a [out] bias
/// followed by such a chain adds the bias and runs the chain row by row after its product. Everything else runs alone.</summary>
/// <remarks>Every instruction still writes its own output, so each tensor of the step holds bitwise its eager value.</remarks>
internal sealed class CapturedPlan
{
    private readonly Instruction[] _instructions;
    private readonly Step[] _steps;

    private enum StepKind : byte { Single, UnaryChain, LinearChain }

    private readonly record struct Step(StepKind Kind, int Start, int Count);

    public CapturedPlan(Arena arena, Instruction[] instructions)
    {
        _instructions = instructions;
        var steps = new List<Step>();
        int i = 0;
        while (i < instructions.Length)
        {
            ref readonly Instruction head = ref instructions[i];
            OpFusion fusion = OpTable.Of(head.Op).Fusion;
            bool linearHead = fusion == OpFusion.ChainHead && ForwardRules.HasRowBias(arena, head);
            int end = i + 1; // one past the chain that follows head
            if (linearHead || fusion == OpFusion.Elementwise)
                while (end < instructions.Length && OpTable.Of(instructions[end].Op).Fusion == OpFusion.Elementwise
                    && instructions[end].Input0 == instructions[end - 1].Output)
                    end++;
            int count = end - i;
            StepKind kind = count == 1 ? StepKind.Single : linearHead ? StepKind.LinearChain : StepKind.UnaryChain;
            steps.Add(new Step(kind, i, count));
            i = end;
        }
        _steps = [.. steps];
    }

    /// <summary>Instructions replayed (views included).</summary>
    public int InstructionCount => _instructions.Length;

    /// <summary>Passes a replay makes: instructions after fusion.</summary>
    public int StepCount => _steps.Length;

    /// <summary>Runs every step's forward rule, in order, into the slots the instructions name.</summary>
    public void Run(Arena arena)
    {
        ReadOnlySpan<Instruction> instructions = _instructions;
        foreach (Step step in _steps)
        {
            switch (step.Kind)
            {
                case StepKind.Single:
                    ForwardRules.Run(arena, in instructions[step.Start]);
                    break;
                case StepKind.UnaryChain:
                    ForwardRules.UnaryChain(arena, instructions.Slice(step.Start, step.Count));
                    break;
                default:
                    ForwardRules.LinearChain(arena, in instructions[step.Start], instructions.Slice(step.Start + 1, step.Count - 1));
                    break;
            }
        }
    }
}
