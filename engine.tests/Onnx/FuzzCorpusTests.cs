namespace ArenaGrad.Onnx.Tests;

/// <summary>The ONNX corpus that AFL++ grew from PyTorch exports with tools/ArenaGrad.Fuzz (committed under
/// tools/ArenaGrad.Fuzz/corpus/onnx, minimized with afl-cmin): each file loads, or is refused with the importer's documented exceptions, and a
/// refusal leaves the arena as it was. An accepted model runs once on a [1, 6] input (the seeds' input shape).</summary>
public sealed class FuzzCorpusTests
{
    private static string CorpusDirectory => Path.Combine(TestContext.CurrentContext.TestDirectory, "fuzz-corpus");

    private static string CrashDirectory => Path.Combine(TestContext.CurrentContext.TestDirectory, "fuzz-crashes");

    /// <summary>Every crash AFL++ found (tools/ArenaGrad.Fuzz/crashes/onnx, one file each, named for the cause) is now
    /// refused with the importer's documented exceptions and leaves the arena as it was.</summary>
    [Test]
    public void EveryCrashFound_IsNowRefusedWithADocumentedException()
    {
        string[] files = Directory.GetFiles(CrashDirectory);
        Assert.That(files, Is.Not.Empty, CrashDirectory);
        using var arena = new Arena(new ArenaOptions { MaxBytes = 1L << 28 });
        foreach (string file in files)
        {
            byte[] bytes = File.ReadAllBytes(file);
            Exception? thrown = null;
            try
            {
                OnnxTestSupport.Load(arena, bytes);
            }
            catch (Exception e)
            {
                thrown = e;
            }
            Assert.That(thrown, Is.InstanceOf<InvalidDataException>().Or.InstanceOf<NotSupportedException>(), Path.GetFileName(file));
            Assert.That(arena.TensorCount, Is.EqualTo(0), Path.GetFileName(file));
        }
    }

    [Test]
    public void Corpus_IsPresent()
    {
        Assert.That(Directory.Exists(CorpusDirectory), Is.True, CorpusDirectory);
        Assert.That(Directory.GetFiles(CorpusDirectory), Has.Length.GreaterThanOrEqualTo(50), "the committed corpus was copied");
    }

    [Test]
    public void EveryCorpusFile_LoadsOrIsRefusedWithADocumentedException_AndLeavesTheArenaAsItWas()
    {
        using var arena = new Arena(new ArenaOptions { MaxBytes = 1L << 28 });
        int loaded = 0, refused = 0;
        foreach (string file in Directory.GetFiles(CorpusDirectory).Order(StringComparer.Ordinal))
        {
            byte[] bytes = File.ReadAllBytes(file);
            int before = arena.TensorCount;
            ArenaGrad.Nn.Module model;
            try
            {
                model = OnnxTestSupport.Load(arena, bytes);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or ArenaCapacityException)
            {
                Assert.That(arena.TensorCount, Is.EqualTo(before), $"{Path.GetFileName(file)}: a refused file left tensors ({e.Message})");
                refused++;
                continue;
            }
            loaded++;
            using (arena.Scope())
            {
                try
                {
                    GC.KeepAlive(model.Forward(arena.Ones([1, 6])));
                }
                catch (Exception e) when (e is ArgumentException or ArenaCapacityException)
                {
                    // The file's graph may want another input shape, or more memory than this arena's bound (a mutated
                    // Pad or Expand): a refusal with a message is the contract.
                }
            }
            arena.Reset();
        }
        Assert.That(loaded, Is.GreaterThan(0), "some of the corpus is valid");
        Assert.That(refused, Is.GreaterThan(0), "some of the corpus is malformed");
    }
}
