namespace ArenaGrad.Tests.Reliability;

/// <summary>An arena is owned by one thread at a time: a use from another thread throws a clear exception
/// (never a crash or a corrupted table), and <see cref="Arena.ReleaseOwnership"/> hands it over.</summary>
public sealed class ThreadOwnershipTests
{
    private static void AssertOwnershipError(Exception? thrown, Arena arena)
    {
        Assert.That(thrown, Is.TypeOf<InvalidOperationException>());
        Assert.That(thrown!.Message, Does.StartWith($"This arena is owned by managed thread {arena.OwnerThreadId}, but was used from thread "));
        Assert.That(thrown.Message, Does.Contain("arena.ReleaseOwnership()"));
    }

    [Test]
    public void OtherThread_MakingTensors_ThrowsNamingTheOwner()
    {
        using var arena = new Arena();
        Assert.That(arena.OwnerThreadId, Is.EqualTo(Environment.CurrentManagedThreadId));
        AssertOwnershipError(Threads.OnOtherThread(() => arena.Zeros([3])), arena);
        AssertOwnershipError(Threads.OnOtherThread(() => arena.Scope()), arena);
        AssertOwnershipError(Threads.OnOtherThread(() => arena.NoGrad()), arena);
        AssertOwnershipError(Threads.OnOtherThread(() => arena.ManualSeed(1)), arena);
        AssertOwnershipError(Threads.OnOtherThread(() => arena.DetectAnomaly()), arena);
        Assert.That(arena.TensorCount, Is.Zero);
    }

    [Test]
    public void OtherThread_ReadingOrUsingAParameter_Throws()
    {
        using var arena = new Arena();
        Tensor p = arena.Ones([4], requiresGrad: true);
        AssertOwnershipError(Threads.OnOtherThread(() => p.ToArray()), arena);
        AssertOwnershipError(Threads.OnOtherThread(() => _ = p.Shape.Length), arena);
        AssertOwnershipError(Threads.OnOtherThread(() => _ = p.IsAlive), arena);
        AssertOwnershipError(Threads.OnOtherThread(() => _ = p.Tanh()), arena);
        AssertOwnershipError(Threads.OnOtherThread(() => p.ZeroGrad()), arena);
        Assert.That(p.ToArray(), Is.EqualTo(new[] { 1f, 1f, 1f, 1f }), "the owner still works");
    }

    [Test]
    public void OtherThread_RunningBackward_ThrowsAndLeavesTheGraphForTheOwner()
    {
        using var arena = new Arena();
        Tensor w = arena.Full([3], 2f, requiresGrad: true);
        Tensor loss = (w * w).Sum();
        AssertOwnershipError(Threads.OnOtherThread(() => loss.Backward()), arena);
        Assert.That(w.Grad, Is.Null);
        loss.Backward();
        Assert.That(w.Grad!.Value.ToArray(), Is.EqualTo(new[] { 4f, 4f, 4f }));
    }

    [Test]
    public void OtherThread_ReadingWhileOwnerTrains_OnlyEverGetsTheException()
    {
        // The crash of the issue: a reader while the tables grow under it. Now every read is refused before it
        // touches them, and the owner's training is unaffected.
        using var arena = new Arena(new ArenaOptions { Seed = 11 });
        Tensor w = arena.Randn([32, 8], requiresGrad: true);
        Tensor x = arena.Randn([16, 8]);
        int refused = 0;
        Exception? unexpected = null;
        using var stop = new ManualResetEventSlim();
        using var firstRefusal = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                try { _ = w.ToArray(); _ = arena.Zeros([64]); unexpected ??= new InvalidOperationException("a read from the other thread succeeded"); }
                catch (InvalidOperationException e) when (e.Message.StartsWith("This arena is owned by", StringComparison.Ordinal))
                {
                    refused++;
                    firstRefusal.Set();
                }
                catch (Exception e) { unexpected ??= e; }
            }
        });
        reader.Start();
        // On a loaded machine the reader may not get a core for a while: make sure it is running before training.
        Assert.That(firstRefusal.Wait(TimeSpan.FromSeconds(60)), Is.True, "the reader thread ran");
        float first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            using (arena.Scope())
            {
                Tensor loss = Functional.Linear(x, w).Tanh().Square().Mean();
                loss.Backward();
                if (step == 0) first = loss.Item();
                last = loss.Item();
                using (arena.NoGrad()) w.AddInPlace(w.Grad!.Value, -0.5f);
                w.ZeroGrad();
            }
        }
        stop.Set();
        reader.Join();
        Assert.That(unexpected, Is.Null, unexpected?.ToString());
        Assert.That(refused, Is.GreaterThan(0));
        Assert.That(last, Is.LessThan(first));
        Assert.That(arena.TensorCount, Is.EqualTo(3));
    }

    [Test]
    public void ReleaseOwnership_HandsTheArenaToTheNextThreadThatUsesIt_AndBack()
    {
        using var arena = new Arena();
        Tensor w = arena.Full([2], 3f, requiresGrad: true);
        arena.ReleaseOwnership();
        Assert.That(arena.OwnerThreadId, Is.Zero);

        int workerId = 0;
        Exception? thrown = Threads.OnOtherThread(() =>
        {
            workerId = Environment.CurrentManagedThreadId;
            (w * w).Sum().Backward();           // claims the arena
            Assert.That(arena.OwnerThreadId, Is.EqualTo(workerId));
            arena.ReleaseOwnership();
        });
        Assert.That(thrown, Is.Null);
        Assert.That(arena.OwnerThreadId, Is.Zero);
        Assert.That(w.Grad!.Value.ToArray(), Is.EqualTo(new[] { 6f, 6f }), "the worker's gradient is visible here");
        Assert.That(arena.OwnerThreadId, Is.EqualTo(Environment.CurrentManagedThreadId), "reading claimed it back");
    }

    [Test]
    public void UnownedArena_TwoThreadsRacingToUseIt_ExactlyOneWins()
    {
        for (int round = 0; round < 20; round++)
        {
            using var arena = new Arena();
            arena.ReleaseOwnership();
            using var start = new Barrier(2);
            using var done = new Barrier(2);
            var thrown = new Exception?[2];
            var threads = new Thread[2];
            for (int t = 0; t < 2; t++)
            {
                int index = t;
                threads[t] = new Thread(() =>
                {
                    start.SignalAndWait();
                    try { for (int i = 0; i < 50; i++) _ = arena.Ones([8]) + 1f; }
                    catch (Exception e) { thrown[index] = e; }
                    done.SignalAndWait(); // the winner keeps the arena until both have tried
                    if (thrown[index] is null) arena.ReleaseOwnership(); // hand it back so the test thread can dispose it
                });
                threads[t].Start();
            }
            foreach (Thread thread in threads) thread.Join();
            Assert.That(thrown.Count(e => e is null), Is.EqualTo(1), $"round {round}: exactly one thread owned the arena");
            Assert.That(thrown.Single(e => e is not null), Is.TypeOf<InvalidOperationException>());
            Assert.That(arena.TensorCount, Is.EqualTo(100), "only the winner's 50 inputs and 50 results");
        }
    }

    [Test]
    public void ReleaseOwnershipAndDispose_FromAThreadThatDoesNotOwnTheArena_Throw()
    {
        using var arena = new Arena();
        Tensor t = arena.Ones([2]);
        AssertOwnershipError(Threads.OnOtherThread(arena.ReleaseOwnership), arena);
        AssertOwnershipError(Threads.OnOtherThread(arena.Dispose), arena);
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1f, 1f }), "a refused Dispose freed nothing");
    }

    [Test]
    public void DisposedArena_UsedFromAnyThread_ThrowsObjectDisposed()
    {
        var arena = new Arena();
        Tensor t = arena.Ones([2]);
        arena.Dispose();
        Assert.That(t.IsAlive, Is.False);
        Assert.That(Threads.OnOtherThread(() => t.ToArray()), Is.TypeOf<ObjectDisposedException>());
        Assert.That(Threads.OnOtherThread(() => arena.Zeros([1])), Is.TypeOf<ObjectDisposedException>());
        Assert.That(Threads.OnOtherThread(() => _ = t.IsAlive), Is.Null, "IsAlive of a disposed arena is false from any thread");
    }
}
