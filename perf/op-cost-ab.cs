#:project ../engine/ArenaGrad.csproj
#:property Optimize=true
#:property TieredPGO=true
// A/B harness for per-op cost (issue 15's W0 and W1), the one behind session 14's "harness" numbers: the same
// workloads as OpChainBenchmarks, InferenceBenchmarks and CapturedStepBenchmarks.W1Replayed, timed in one process
// after 1 s of warm-up per mode, as the FASTEST of 21 windows of 60 ms (ns per op for the op modes, per call for w1),
// because the fastest window is what holds still when other processes share the cores. Run it from two checkouts in
// alternation and compare the lines, e.g.
//   for i in 1 2 3; do for t in /work/main /work/wt-x; do (cd $t && dotnet run -c Release perf/op-cost-ab.cs); done; done
// Modes (arguments; all when none): fb = W0's chain forward and backward; f = its forward only (recorded);
// add / mul / tanh = 100 of one op on a tensor that requires grad; addng / mulng / tanhng = the same on one that does
// not (nothing recorded); w1 = the MLP 32-64-64-4 tanh at batch 1 under no-grad in a scope; w1r = its captured replay.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using ArenaGrad;
using ArenaGrad.Capture;
using ArenaGrad.Nn;

var arena = new Arena(new ArenaOptions { Seed = 7 });
Tensor x = arena.Randn([16], requiresGrad: true), constant = arena.Randn([16]), ones = arena.Ones([16]);
var mlpArena = new Arena(new ArenaOptions { Seed = 42 });
var mlp = new Mlp(mlpArena, [32, 64, 64, 4]);
Tensor mlpInput = mlpArena.Randn([1, 32]);
var capturedArena = new Arena(new ArenaOptions { Seed = 42 });
var capturedMlp = new Mlp(capturedArena, [32, 64, 64, 4]);
Tensor capturedInput = capturedArena.Randn([1, 32]);
CapturedStep replay;
using (capturedArena.NoGrad()) replay = capturedArena.Capture(capturedArena.Zeros([1, 32]), capturedMlp.Forward);

string[] modes = args.Length > 0 ? args : ["fb", "f", "add", "addng", "mul", "mulng", "tanh", "tanhng", "w1", "w1r"];
var line = new System.Text.StringBuilder();
foreach (string mode in modes)
{
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < 1.0) Run(mode);
    double fastest = double.MaxValue;
    for (int window = 0; window < 21; window++)
    {
        long calls = 0;
        clock.Restart();
        while (clock.ElapsedMilliseconds < 60) { Run(mode); calls++; }
        fastest = Math.Min(fastest, clock.Elapsed.TotalNanoseconds / calls / 100);
    }
    line.Append($"{mode} {fastest:F1}  ");
}
Console.WriteLine(line.ToString());

// 100 ops (or 100 MLP calls) per call.
float Run(string mode)
{
    float result = 0;
    using (arena.Scope())
    {
        Tensor y = x;
        switch (mode)
        {
            case "fb":
            case "f":
                for (int i = 0; i < 25; i++) { y = y + x; y = y * 0.5f; y = y.Tanh(); y = y * x; }
                if (mode == "fb") y.Backward(ones);
                break;
            case "add": for (int i = 0; i < 100; i++) y = y + x; break;
            case "addng": y = constant; for (int i = 0; i < 100; i++) y = y + constant; break;
            case "mul": for (int i = 0; i < 100; i++) y = y * 0.5f; break;
            case "mulng": y = constant; for (int i = 0; i < 100; i++) y = y * 0.5f; break;
            case "tanh": for (int i = 0; i < 100; i++) y = y.Tanh(); break;
            case "tanhng": y = constant; for (int i = 0; i < 100; i++) y = y.Tanh(); break;
            case "w1":
                for (int i = 0; i < 100; i++)
                    using (mlpArena.Scope())
                    using (mlpArena.NoGrad())
                        result += mlp.Forward(mlpInput).AsSpanUnsafely()[0];
                break;
            case "w1r":
                for (int i = 0; i < 100; i++) result += replay.Run(capturedInput).AsSpanUnsafely()[0];
                break;
            default: throw new ArgumentException($"unknown mode {mode}");
        }
        result += y.AsSpanUnsafely()[0];
    }
    x.ZeroGrad();
    return result;
}
