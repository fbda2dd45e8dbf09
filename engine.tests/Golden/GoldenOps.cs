using System.Reflection;
using System.Text.Json;

namespace ArenaGrad.Tests.Golden;

/// <summary>The op names of one family of Golden/ops programs (written by make_ops_&lt;family&gt;.py): one class per family,
/// GoldenOps_&lt;Family&gt;.cs, so families are added without touching each other's mappings.</summary>
internal interface IGoldenOps
{
    /// <summary>Runs <paramref name="op"/> on <paramref name="args"/>, or returns null when the op is not this family's.</summary>
    Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs);
}

/// <summary>A golden step's attributes, read by name.</summary>
internal readonly struct GoldenAttributes(JsonElement attrs)
{
    public JsonElement Raw => attrs;
    public bool Has(string name) => attrs.TryGetProperty(name, out JsonElement e) && e.ValueKind != JsonValueKind.Null;
    public float Float(string name) => GoldenProgramRunner.Float(attrs.GetProperty(name));
    public int Int(string name) => attrs.GetProperty(name).GetInt32();
    public bool Bool(string name, bool fallback = false) => attrs.TryGetProperty(name, out JsonElement e) ? e.GetBoolean() : fallback;
    public int[] Ints(string name) => GoldenProgramRunner.Ints(attrs.GetProperty(name));
    public float[] Floats(string name) => GoldenProgramRunner.Floats(attrs.GetProperty(name));
}

/// <summary>Every <see cref="IGoldenOps"/> family in this assembly, found once by reflection.</summary>
internal static class GoldenOpFamilies
{
    private static readonly IGoldenOps[] Families = typeof(IGoldenOps).Assembly.GetTypes()
        .Where(t => typeof(IGoldenOps).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (IGoldenOps)Activator.CreateInstance(t, nonPublic: true)!)
        .ToArray();

    public static Tensor? TryRun(string op, Tensor[] args, JsonElement attrs)
    {
        var attributes = new GoldenAttributes(attrs);
        foreach (IGoldenOps family in Families)
            if (family.TryRun(op, args, attributes) is Tensor result) return result;
        return null;
    }
}
