namespace ArenaGrad.Tests.Golden;

/// <summary>Golden/ops/shape (make_ops_shape.py): the views and shape ops of issue 16. Split and chunk steps name the
/// piece they keep ("index").</summary>
internal sealed class GoldenOps_Shape : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "narrow" => args[0].Narrow(attrs.Int("dim"), attrs.Int("start"), attrs.Int("length")),
        "select" => args[0].Select(attrs.Int("dim"), attrs.Int("index")),
        "slice" => args[0].Slice(attrs.Int("dim"), attrs.Int("start"), attrs.Int("end"), attrs.Int("step")),
        "permute" => args[0].Permute(attrs.Ints("dims")),
        "unsqueeze" => args[0].Unsqueeze(attrs.Int("dim")),
        "squeeze" => attrs.Has("dim") ? args[0].Squeeze(attrs.Int("dim")) : args[0].Squeeze(),
        "expand" => args[0].Expand(attrs.Ints("shape")),
        "flatten" => args[0].Flatten(attrs.Int("start_dim"), attrs.Int("end_dim")),
        "repeat" => args[0].Repeat(attrs.Ints("repeats")),
        "stack" => Functional.Stack(args, attrs.Int("dim")),
        "split" => args[0].Split(attrs.Int("split_size"), attrs.Int("dim"))[attrs.Int("index")],
        "split_sizes" => args[0].Split(attrs.Ints("sizes"), attrs.Int("dim"))[attrs.Int("index")],
        "chunk" => args[0].Chunk(attrs.Int("chunks"), attrs.Int("dim"))[attrs.Int("index")],
        _ => null,
    };
}
