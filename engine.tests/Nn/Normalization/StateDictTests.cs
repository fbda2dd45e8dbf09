using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using static ArenaGrad.Tests.Nn.Normalization.NormGolden;

namespace ArenaGrad.Tests.Nn.Normalization;

/// <summary>Buffers in state dicts: PyTorch's key order for a Sequential mixing Linear and BatchNorm, a state_dict PyTorch
/// saved through safetensors (num_batches_tracked as I64) loading and running, our own round trip, and PyTorch's messages.</summary>
public sealed class StateDictTests
{
    private static Sequential Reference(Arena arena) =>
        new(new Linear(arena, 3, 4), new BatchNorm1d(arena, 4), new Relu(), new Linear(arena, 4, 2), new BatchNorm1d(arena, 2, affine: false));

    [Test]
    public void StateDict_KeysInPyTorchsOrder_ParametersThenBuffersPerModule()
    {
        using var arena = new Arena();
        Sequential model = Reference(arena);
        JsonElement sequential = Root.GetProperty("sequential");
        Assert.That(model.StateDict().Select(e => e.Name), Is.EqualTo(sequential.GetProperty("keys").EnumerateArray().Select(k => k.GetString())));
        Assert.That(model.ToString(), Is.EqualTo(sequential.GetProperty("repr").GetString()));
        Assert.That(model.NamedBuffers().Select(b => b.Name),
            Is.EqualTo(new[] { "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.running_mean", "4.running_var", "4.num_batches_tracked" }));
        Assert.That(model.NamedParameters().Select(b => b.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias" }));
        Assert.That(model.Parameters().Intersect(model.Buffers()), Is.Empty);
        Assert.That(ReferenceEquals(model.StateDict(), model.StateDict()) && ReferenceEquals(model.NamedBuffers(), model.NamedBuffers()), Is.True,
            "built once");
    }

    [Test]
    public void PyTorchsSafetensorsStateDict_Loads_AndTheModelGivesPyTorchsEvalOutput()
    {
        using var arena = new Arena();
        Sequential model = Reference(arena);
        IReadOnlyDictionary<string, Tensor> state = Safetensors.Load(arena, Path.Combine(Folder, "bn_state.safetensors"));
        Assert.That(state["1.num_batches_tracked"].DType, Is.EqualTo(DType.Int32));
        model.LoadStateDict(state);
        JsonElement sequential = Root.GetProperty("sequential");
        foreach (JsonProperty count in sequential.GetProperty("num_batches_tracked").EnumerateObject())
            Assert.That(model.StateDict().Single(e => e.Name == count.Name).Value.ToIntArray(), Is.EqualTo(new[] { count.Value.GetInt32() }));
        model.Eval();
        Close(model.Forward(Float(arena, sequential.GetProperty("probe"))), sequential.GetProperty("eval_output"), 1e-5, 1e-4, "eval output");
    }

    [Test]
    public void Safetensors_RoundTripsBuffers_WritingNumBatchesTrackedAsI64()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        Sequential model = Reference(arena);
        model.Forward(arena.Randn([6, 3]));
        model.Forward(arena.Randn([6, 3]));
        using var stream = new MemoryStream();
        Safetensors.Save(stream, model.StateDict());
        byte[] file = stream.ToArray();
        string header = Encoding.UTF8.GetString(file, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        using (JsonDocument json = JsonDocument.Parse(header))
        {
            JsonElement counter = json.RootElement.GetProperty("1.num_batches_tracked");
            Assert.That(counter.GetProperty("dtype").GetString(), Is.EqualTo("I64"));
            Assert.That(counter.GetProperty("shape").GetArrayLength(), Is.EqualTo(0));
            Assert.That(json.RootElement.GetProperty("1.running_var").GetProperty("dtype").GetString(), Is.EqualTo("F32"));
        }
        using var other = new Arena(new ArenaOptions { Seed = 99 });
        Sequential copy = Reference(other);
        copy.LoadStateDict(Safetensors.Load(other, file));
        foreach ((NamedTensor a, NamedTensor b) in model.StateDict().Zip(copy.StateDict()))
        {
            Assert.That(b.Name, Is.EqualTo(a.Name));
            Assert.That(b.Value.DType, Is.EqualTo(a.Value.DType), a.Name);
            if (a.Value.DType == DType.Int32) Assert.That(b.Value.ToIntArray(), Is.EqualTo(new[] { 2 }), a.Name);
            else Assert.That(b.Value.ToArray(), Is.EqualTo(a.Value.ToArray()), a.Name);
        }
    }

    [Test]
    public void LoadStateDict_MissingBufferAndBufferSizeMismatch_GiveTorchsMessages_AndCopyNothing()
    {
        JsonElement errors = Root.GetProperty("errors");
        using var arena = new Arena();
        Sequential model = Reference(arena);
        Dictionary<string, Tensor> state = Safetensors.Load(arena, Path.Combine(Folder, "bn_state.safetensors")).ToDictionary();
        var missing = new Dictionary<string, Tensor>(state);
        missing.Remove("1.running_var");
        Assert.That(Assert.Throws<ArgumentException>(() => model.LoadStateDict(missing))!.Message, Does.StartWith(errors.GetProperty("missing_buffer").GetString()!));
        var mismatched = new Dictionary<string, Tensor>(state) { ["1.running_mean"] = arena.Zeros([5]) };
        Assert.That(Assert.Throws<ArgumentException>(() => model.LoadStateDict(mismatched))!.Message,
            Does.StartWith(errors.GetProperty("buffer_size_mismatch").GetString()!));
        Assert.That(model.StateDict().Single(e => e.Name == "1.running_var").Value.ToArray(), Is.EqualTo(new[] { 1f, 1f, 1f, 1f }), "nothing copied");
        Assert.That(model.StateDict().Single(e => e.Name == "1.num_batches_tracked").Value.ToIntArray(), Is.EqualTo(new[] { 0 }));
        // no num_batches_tracked (PyTorch's plain-dict load fills 0): loads, the counter set to 0
        var withoutCounters = state.Where(e => !e.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToDictionary();
        model.LoadStateDict(withoutCounters);
        Assert.That(model.StateDict().Single(e => e.Name == "4.num_batches_tracked").Value.ToIntArray(), Is.EqualTo(new[] { 0 }));
        Assert.That(model.StateDict().Single(e => e.Name == "1.running_var").Value.ToArray(), Is.EqualTo(state["1.running_var"].ToArray()));
        // a Float32 counter (a checkpoint converted to float) loads into the Int32 buffer as copy_ converts
        var floatCounter = new Dictionary<string, Tensor>(state) { ["1.num_batches_tracked"] = arena.Full([], 7f) };
        model.LoadStateDict(floatCounter);
        Assert.That(model.StateDict().Single(e => e.Name == "1.num_batches_tracked").Value.ToIntArray(), Is.EqualTo(new[] { 7 }));
    }

    private sealed class WithBuffers : Module
    {
        public WithBuffers(Arena arena, bool second = false)
        {
            RegisterBuffer("steps", arena.Zeros([2]));
            RegisterBuffer("absent", null);
            if (second) RegisterBuffer("steps", arena.Zeros([1]));
        }

        public void Late(Arena arena) => RegisterBuffer("late", arena.Zeros([1]));

        public void Named(string name, Tensor? t) => RegisterBuffer(name, t);

        public override Tensor Forward(Tensor input) => input;
    }

    [Test]
    public void RegisterBuffer_RulesAndMessages()
    {
        using var arena = new Arena();
        Assert.That(Assert.Throws<ArgumentException>(() => new WithBuffers(arena, second: true))!.Message, Does.StartWith("attribute 'steps' already exists"));
        var module = new WithBuffers(arena);
        Assert.That(Assert.Throws<ArgumentException>(() => module.Named("", null))!.Message, Does.StartWith("buffer name can't be empty string \"\""));
        Assert.That(Assert.Throws<ArgumentException>(() => module.Named("a.b", null))!.Message, Does.StartWith("buffer name can't contain \".\""));
        Assert.That(Assert.Throws<ArgumentException>(() => module.Named("absent", null))!.Message, Does.StartWith("attribute 'absent' already exists"));
        Assert.That(Assert.Throws<ArgumentException>(() => module.Named("trained", arena.Ones([1], requiresGrad: true)))!.Message, Does.Contain("requires grad"));
        Assert.That(module.NamedBuffers().Select(b => b.Name), Is.EqualTo(new[] { "steps" }), "a null buffer is listed nowhere");
        Assert.That(module.StateDict().Select(b => b.Name), Is.EqualTo(new[] { "steps" }));
        Assert.That(() => module.Late(arena), Throws.InvalidOperationException.With.Message.Contains("Cannot register 'late'"));
    }
}

/// <summary>The README's example for batch norm, embeddings and buffers, as written there.</summary>
public sealed class NormReadmeExampleTests
{
    [Test]
    public void ReadmeExample_Runs()
    {
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad-norm-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var arena = new Arena(new ArenaOptions { Seed = 1 });
            var tokens = new ArenaGrad.Nn.Embedding(arena, numEmbeddings: 100, embeddingDim: 16, paddingIdx: 0);
            var model = new Sequential(new Linear(arena, 16, 32), new BatchNorm1d(arena, 32), new Relu(), new Linear(arena, 32, 4));
            Assert.That(model[1].ToString(), Is.EqualTo("BatchNorm1d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"));
            using (arena.Scope())
            {
                Tensor ids = arena.FromData([3, 0, 7, 7], [4]);
                Tensor features = tokens.Forward(ids);
                Tensor loss = model.Forward(features).Square().Mean();
                loss.Backward();
                Assert.That(tokens.Weight.Grad!.Value.ToArray().Take(16), Has.All.EqualTo(0f), "the padding row");
            }
            model.Eval();
            Assert.That(model.StateDict().Select(e => e.Name), Is.EqualTo(new[]
                { "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias" }));
            Safetensors.Save(path, model.StateDict());
            model.LoadStateDict(Safetensors.Load(arena, path));
            Assert.That(((BatchNorm1d)model[1]).NumBatchesTracked!.Value.ToIntArray(), Is.EqualTo(new[] { 1 }));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
