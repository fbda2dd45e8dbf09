namespace ArenaGrad.Tests;

/// <summary>Runs work on real threads (not the thread pool) and rethrows the first failure on the test thread.</summary>
internal static class Threads
{
    /// <summary>Runs <paramref name="body"/>(i) on <paramref name="count"/> new threads at once, started together.</summary>
    public static void Run(int count, Action<int> body)
    {
        var errors = new Exception?[count];
        using var start = new ManualResetEventSlim(false);
        var threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            threads[i] = new Thread(() =>
            {
                start.Wait();
                try { body(index); }
                catch (Exception e) { errors[index] = e; }
            });
            threads[i].Start();
        }
        start.Set();
        foreach (Thread thread in threads) thread.Join();
        foreach (Exception? error in errors)
            if (error is not null) throw new AggregateException($"A worker thread failed: {error.Message}", error);
    }

    /// <summary>Runs <paramref name="action"/> on one new thread and returns what it threw (null if nothing).</summary>
    public static Exception? OnOtherThread(Action action)
    {
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { thrown = e; }
        });
        thread.Start();
        thread.Join();
        return thrown;
    }
}
