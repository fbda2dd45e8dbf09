#:project ../engine/ArenaGrad.csproj
#:property Optimize=true

// Issue 18's per-frame recurrent latency measured the way perf/pytorch/compare.py measures PyTorch: many short timed
// samples and their median, which a loaded VM disturbs far less than BenchmarkDotNet's long iterations (with other jobs
// on the two cores, its medians include their time slices). GRUCell/LSTMCell.Step at batch 1, input = hidden = 32 and
// 64, the state carried from call to call; the captured GRU cell replayed with its output copied back into the state;
// and the general step (Forward in a scope, copied into the state) that Step ran before it went in place.
//   dotnet run -c Release perf/recurrent-step-latency.cs
// Each workload warms up for 20,000 calls, then times 3,000 batches of 100 calls; prints the median and the fastest.
using System;
using System.Diagnostics;
using ArenaGrad;
using ArenaGrad.Nn;

foreach (int size in new[] { 32, 64 })
{
    using var arena = new Arena(new ArenaOptions { Seed = 1 });
    var gru = new GRUCell(arena, size, size);
    var lstm = new LSTMCell(arena, size, size);
    Tensor x = arena.Randn([1, size]), h = arena.Zeros([1, size]), lh = arena.Zeros([1, size]), lc = arena.Zeros([1, size]);
    Tensor rh = arena.Zeros([1, size]);
    using var replay = arena.Capture(x, input => { using (arena.NoGrad()) return gru.Forward(input, rh); });
    Console.WriteLine($"size {size}");
    Show("GRUCell.Step", Time(() => gru.Step(x, h)));
    Show("LSTMCell.Step", Time(() => lstm.Step(x, (lh, lc))));
    Show("GRU cell replay", Time(() => rh.CopyFrom(replay.Run(x))));
    Show("GRU scope + Forward", Time(() =>
    {
        using (arena.Scope())
        using (arena.NoGrad())
            h.CopyFrom(gru.Forward(x, h));
    }));
}

static (double Median, double Fastest) Time(Action step, int calls = 100, int batches = 3000)
{
    for (int i = 0; i < 20000; i++) step();
    var perCall = new double[batches];
    for (int b = 0; b < batches; b++)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) step();
        perCall[b] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / calls;
    }
    Array.Sort(perCall);
    return (perCall[batches / 2], perCall[0]);
}

static void Show(string name, (double Median, double Fastest) r) =>
    Console.WriteLine($"  {name,-20} median {r.Median,7:F0} ns   fastest {r.Fastest,7:F0} ns");
