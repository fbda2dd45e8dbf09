using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Memory;
using ArenaGrad.Nn;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>Onnx.Load makes parameters as module constructors do, so it refuses an open scope as they do; and it is all
/// or nothing: a load that fails leaves the arena exactly as it was.</summary>
public sealed class LoadAtomicityTests
{
    private static readonly int[] Shape23 = [2, 3];

    /// <summary>Everything a failed load could leave behind: slots, tape, gradient bytes, the float stack's top, blocks.
    /// Not the peak of <see cref="ArenaStatistics"/>: a high-water mark records the attempt, as it does for any failed op.</summary>
    private readonly record struct ArenaState(int Tensors, int Tape, long GradientBytes, FloatStackMark Floats, long Reserved, int Blocks, long BytesInUse)
    {
        public static ArenaState Of(Arena arena)
        {
            ArenaStatistics statistics = arena.Statistics;
            return new(statistics.TensorCount, statistics.TapeLength, arena.GradientBytes, arena.FloatMark, statistics.ReservedBytes,
                statistics.BlockCount, statistics.BytesInUse);
        }
    }

    /// <summary>x [2, 3] → Gemm (W1 [4, 3], b1) → + Constant [4] → Tanh → Gemm (W2 [2, 4], b2): four parameters and one
    /// constant, five allocations.</summary>
    private static byte[] SmallModel()
    {
        var constant = new AttributeProto
        {
            Name = "value",
            Type = AttributeProto.Types.AttributeType.Tensor,
            T = FloatTensor("", [4], Values(4, seed: 5)),
        };
        GraphProto graph = Graph("x", Shape23, "y",
            Node("Gemm", ["x", "w1", "b1"], "h", Int("transB", 1)),
            Node("Constant", [], "c", constant),
            Node("Add", ["h", "c"], "a"),
            Node("Tanh", ["a"], "t"),
            Node("Gemm", ["t", "w2", "b2"], "y", Int("transB", 1)));
        graph.Initializer.Add(FloatTensor("w1", [4, 3], Values(12, seed: 1)));
        graph.Initializer.Add(FloatTensor("b1", [4], Values(4, seed: 2)));
        graph.Initializer.Add(FloatTensor("w2", [2, 4], Values(8, seed: 3)));
        graph.Initializer.Add(FloatTensor("b2", [2], Values(2, seed: 4)));
        return Model(graph);
    }

    /// <summary>x [2, 3] → Less (c [3]) → And (BOOL initializer m [3]) → And (BOOL Constant [2, 1]) → Where (x, d [3]):
    /// two parameters and two Bool constants, four allocations.</summary>
    private static byte[] BoolModel()
    {
        var constant = new AttributeProto
        {
            Name = "value",
            Type = AttributeProto.Types.AttributeType.Tensor,
            T = new TensorProto { DataType = (int)TensorProto.Types.DataType.Bool, Dims = { 2, 1 }, Int32Data = { 1, 0 } },
        };
        GraphProto graph = Graph("x", Shape23, "y",
            Node("Less", ["x", "c"], "lt"),
            Node("And", ["lt", "m"], "a"),
            Node("Constant", [], "k", constant),
            Node("And", ["a", "k"], "b"),
            Node("Where", ["b", "x", "d"], "y"));
        graph.Initializer.Add(FloatTensor("c", [3], [0f, 0f, 0f]));
        graph.Initializer.Add(new TensorProto
        {
            Name = "m", DataType = (int)TensorProto.Types.DataType.Bool, Dims = { 3 }, RawData = Google.Protobuf.ByteString.CopyFrom(1, 0, 1),
        });
        graph.Initializer.Add(FloatTensor("d", [3], Values(3, seed: 6)));
        return Model(graph);
    }

    private static float[] Run(Arena arena, Module model) => model.Forward(arena.FromData(Values(6, seed: 9), Shape23)).ToArray();

    [Test]
    public void Load_InsideArenaScope_ThrowsAsModuleConstructorsDo_AndMakesNothing()
    {
        using var arena = new Arena();
        byte[] model = SmallModel();
        using (arena.Scope())
        {
            ArenaState before = ArenaState.Of(arena);
            string linear = Assert.Throws<InvalidOperationException>(() => _ = new Linear(arena, 3, 4))!.Message;
            Assert.That(() => Load(arena, model), Throws.InvalidOperationException
                .With.Message.StartsWith("Onnx.Load makes the model's parameters, and they must outlive every training step, but an arena scope is open")
                .And.Message.Contains("before entering arena.Scope()"));
            Assert.That(linear, Does.Contain("must outlive every training step, but an arena scope is open"), "the same words as modules");
            // The path overload refuses before it opens the file: the scope is the error, not the missing file.
            Assert.That(() => IO.Onnx.Load(arena, Path.Combine(Path.GetTempPath(), $"onnxperf-missing-{Guid.NewGuid():N}.onnx")),
                Throws.InvalidOperationException.With.Message.Contains("an arena scope is open"));
            Assert.That(ArenaState.Of(arena), Is.EqualTo(before));
        }
        Assert.That(Load(arena, model).Parameters(), Has.Count.EqualTo(4), "after the scope ends the same load works");
    }

    /// <summary>Small blocks make most allocations reserve a new block, so that a failed load must give it back too.</summary>
    private static readonly ArenaOptions[] Configurations = [new ArenaOptions(), new ArenaOptions { BlockBytes = 64 }];

    private static IEnumerable<TestCaseData> FailureCases()
    {
        yield return new TestCaseData(SmallModel(), 5).SetName("Load_FailingAtEachAllocation_LeavesArenaAsItWas_ThenLoadsTheSameModel");
        yield return new TestCaseData(BoolModel(), 4).SetName("Load_WithBoolConstants_FailingAtEachAllocation_LeavesArenaAsItWas_ThenLoadsTheSameModel");
    }

    [TestCaseSource(nameof(FailureCases))]
    public void Load_FailingAtEachAllocation(byte[] model, int allocations)
    {
        foreach (ArenaOptions options in Configurations)
        {
            float[] expected;
            using (var reference = new Arena(options)) expected = Run(reference, Load(reference, model));

            using var arena = new Arena(options);
            Tensor earlier = arena.FromData([1f, 2f], requiresGrad: true); // something already there, to be kept intact
            int failures = 0;
            for (int nth = 1; ; nth++)
            {
                ArenaState before = ArenaState.Of(arena);
                arena.FailAllocation(nth);
                Module loaded;
                try
                {
                    loaded = Load(arena, model);
                }
                catch (ArenaCapacityException)
                {
                    failures++;
                    Assert.That(ArenaState.Of(arena), Is.EqualTo(before), $"(block bytes {options.BlockBytes}) state after allocation {nth} failed");
                    continue;
                }
                finally
                {
                    arena.FailAllocation(0);
                }
                Assert.That(Run(arena, loaded), Is.EqualTo(expected), $"(block bytes {options.BlockBytes}) after {failures} failed loads");
                break;
            }
            Assert.That(failures, Is.EqualTo(allocations), "one failure per parameter and constant: the fault hook reached every allocation");
            Assert.That(earlier.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
        }
    }

    [Test]
    public void Load_UnderCapThatFitsOnlySomeParameters_ThrowsCapacity_AndLeavesArenaAsItWas()
    {
        // Room for about half of the model's values and gradients: the first parameters fit, a later one does not.
        using var arena = new Arena(new ArenaOptions { BlockBytes = 64, MaxBytes = 3 * 64 });
        ArenaState before = ArenaState.Of(arena);
        Assert.That(() => Load(arena, SmallModel()), Throws.TypeOf<ArenaCapacityException>());
        Assert.That(ArenaState.Of(arena), Is.EqualTo(before));
    }

    [Test]
    public void Load_UnsupportedOperatorAfterInitializers_ThrowsNotSupported_AndMakesNothing()
    {
        GraphProto graph = Graph("x", Shape23, "y",
            Node("Gemm", ["x", "w", "b"], "h", Int("transB", 1)),
            Node("Hardmax", ["h"], "y")); // an operator the importer does not read (Erf was, until the math family)
        graph.Initializer.Add(FloatTensor("w", [4, 3], Values(12, seed: 1)));
        graph.Initializer.Add(FloatTensor("b", [4], Values(4, seed: 2)));
        using var arena = new Arena();
        ArenaState before = ArenaState.Of(arena);
        ArenaStatistics statistics = arena.Statistics;
        Assert.That(() => Load(arena, Model(graph)), Throws.TypeOf<NotSupportedException>().With.Message.Contains("'Hardmax'"));
        Assert.That(ArenaState.Of(arena), Is.EqualTo(before));
        Assert.That(arena.Statistics, Is.EqualTo(statistics), "validated before anything was allocated: not even the peak moved");
    }
}
