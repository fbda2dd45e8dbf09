using System.Text.Json;

namespace ArenaGrad.Tests.Golden;

/// <summary>Runs a golden program's ops on ArenaGrad, by their PyTorch names.</summary>
internal static class GoldenProgramRunner
{
    public static float[] Floats(JsonElement array)
    {
        var result = new float[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in array.EnumerateArray()) result[i++] = Float(e);
        return result;
    }

    /// <summary>A number, or one of the strings "NaN", "Infinity", "-Infinity" (JSON has no literal for them).</summary>
    public static float Float(JsonElement e) => e.ValueKind != JsonValueKind.String ? e.GetSingle() : e.GetString() switch
    {
        "NaN" => float.NaN,
        "Infinity" => float.PositiveInfinity,
        "-Infinity" => float.NegativeInfinity,
        var other => throw new FormatException($"golden value '{other}' is not a number"),
    };

    public static int[] Ints(JsonElement array)
    {
        var result = new int[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in array.EnumerateArray()) result[i++] = e.GetInt32();
        return result;
    }

    public static Tensor Run(JsonElement step, Dictionary<string, Tensor> named)
    {
        string op = step.GetProperty("op").GetString()!;
        Tensor[] args = step.GetProperty("args").EnumerateArray().Select(a => named[a.GetString()!]).ToArray();
        JsonElement attrs = step.GetProperty("attrs");
        float F(string name) => attrs.GetProperty(name).GetSingle();
        int I(string name) => attrs.GetProperty(name).GetInt32();
        bool KeepDim() => attrs.TryGetProperty("keepdim", out JsonElement k) && k.GetBoolean();
        bool AllDims() => !attrs.TryGetProperty("dim", out JsonElement d) || d.ValueKind == JsonValueKind.Null;
        Tensor a = args.Length > 0 ? args[0] : default;
        return op switch
        {
            "add" => a + args[1],
            "sub" => a - args[1],
            "mul" => a * args[1],
            "div" => a / args[1],
            "neg" => -a,
            "exp" => a.Exp(),
            "log" => a.Log(),
            "tanh" => a.Tanh(),
            "sigmoid" => a.Sigmoid(),
            "relu" => a.Relu(),
            "sqrt" => a.Sqrt(),
            "abs" => a.Abs(),
            "square" => a.Square(),
            "mul_scalar" => a * F("scalar"),
            "add_scalar" => a + F("scalar"),
            "pow" => a.Pow(F("exponent")),
            "leaky_relu" => a.LeakyRelu(F("slope")),
            "clamp" => a.Clamp(F("min"), F("max")),
            "matmul" => a.MatMul(args[1]),
            "linear" => Functional.Linear(a, args[1], args.Length > 2 ? args[2] : null),
            "transpose" => a.Transpose(I("dim0"), I("dim1")),
            "reshape" => a.Reshape(Ints(attrs.GetProperty("shape"))),
            "concat" => Functional.Cat(args, I("dim")),
            "sum" => AllDims() ? a.Sum() : a.Sum(I("dim"), KeepDim()),
            "mean" => AllDims() ? a.Mean() : a.Mean(I("dim"), KeepDim()),
            "max" => AllDims() ? a.Max() : a.Max(I("dim"), KeepDim()),
            "softmax" => a.Softmax(I("dim")),
            "log_softmax" => a.LogSoftmax(I("dim")),
            "mse_loss" => Functional.MseLoss(a, args[1]),
            "cross_entropy" => Functional.CrossEntropy(a, Ints(attrs.GetProperty("targets"))),
            "detach" => a.Detach(),
            _ => GoldenOpFamilies.TryRun(op, args, attrs) ?? throw new NotSupportedException($"golden op '{op}' has no mapping"),
        };
    }
}
