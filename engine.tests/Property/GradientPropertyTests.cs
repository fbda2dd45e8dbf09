using CsCheck;

namespace ArenaGrad.Tests.PropertyBased;

/// <summary>Random programs built from every op, checked against finite differences with the public GradCheck.</summary>
public sealed class GradientPropertyTests
{
    private static readonly Gen<RandomProgram> Programs = Gen.UInt.Array[0, 160].Select(RandomProgramBuilder.Build);

    private static void GradientsMatchFiniteDifferences(RandomProgram program)
    {
        using var arena = new Arena();
        Tensor[] inputs = program.MakeInputs(arena);
        GradCheckResult result = Autograd.GradCheck(program.Run, inputs, epsilon: 3e-3f, absoluteTolerance: 1e-2, relativeTolerance: 1e-2);
        if (!result.Passed) throw new InvalidOperationException(result.ToString());
    }

    [Test]
    public void RandomPrograms_BackwardAgreesWithFiniteDifferences() =>
        PropertyRunner.Check(Programs, GradientsMatchFiniteDifferences, defaultIterations: 3000, print: p => p.ToString());

    [Test]
    public void Generator_CoversEveryOpAndTheShapeCases()
    {
        var programs = PropertyRunner.Samples(Programs, PropertyRunner.Iterations(500)).ToList();
        var ops = programs.SelectMany(p => p.Ops).ToHashSet();
        Assert.That(RandomProgramBuilder.AllOps.Except(ops), Is.Empty, "ops the generated programs never use");
        Assert.That(Enum.GetNames<ArenaGrad.Tape.OpCode>().Except(RandomProgramBuilder.AllOps), Is.Empty,
            "opcodes the generator does not know: add them to RandomProgramBuilder");

        var inputs = programs.SelectMany(p => p.Inputs).ToList();
        TestContext.Out.WriteLine($"ops/program {programs.Average(p => p.Ops.Count()):F2}, inputs/program {programs.Average(p => p.Inputs.Count):F2}, elements/input {inputs.Average(i => i.Values.Length):F1}");
        foreach (var g in programs.SelectMany(p => p.Ops).GroupBy(o => o).OrderBy(g => g.Count())) TestContext.Out.Write($"{g.Key}:{g.Count()} ");
        TestContext.Out.WriteLine();
        Assert.That(inputs.Any(i => i.Shape.Length == 0), "a 0-d input");
        Assert.That(inputs.Any(i => i.Shape.Length == 4), "a rank-4 input");
        Assert.That(inputs.Any(i => i.Values.Length == 0), "an empty input");
        Assert.That(inputs.Any(i => !i.RequiresGrad), "a frozen input");
        Assert.That(programs.Any(p => p.Entries.Any(e => e.Operands.Length == 2 && e.Operands[0] == e.Operands[1])), "x op x");
        Assert.That(programs.Any(p => p.Entries.SelectMany(e => e.Operands).GroupBy(o => o).Any(g => g.Count() >= 3)),
            "a value used in three places");
    }
}
