using System.Text.Json;

namespace ArenaGrad.Tests.Rl;

/// <summary>Reads engine.tests/Golden/rl (made by Golden/make_rl.py with PyTorch 1.13 and numpy).</summary>
internal static class RlGolden
{
    public static JsonElement[] Cases(string file) =>
        [.. JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "rl", file)))
            .RootElement.GetProperty("cases").EnumerateArray()];

    public static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetSingle())];

    public static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];

    public static bool[] Bools(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetBoolean())];

    public static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];
}
