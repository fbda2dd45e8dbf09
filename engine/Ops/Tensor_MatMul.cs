using ArenaGrad.Kernels;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

public readonly partial struct Tensor
{
    /// <summary>this @ other with <c>torch.matmul</c>'s rules: 1-D, 2-D and batched with broadcast batch dims.</summary>
    public Tensor MatMul(Tensor other)
    {
        Arena arena = Arena;
        int a = _slot, b = arena.OwnSlot(other);
        Span<int> scratch = stackalloc int[4 * TensorLayout.MaxRank];
        var plan = new MatMulPlan(arena.ShapeOf(a), arena.ShapeOf(b), scratch);
        bool record = arena.ShouldRecord(a, b);
        int y = arena.NewSlot(plan.OutputShape[..plan.OutputRank], record);
        ForwardRules.MatMul(arena, a, b, y);
        arena.Record(new Instruction(OpCode.MatMul, y, a, b), record);
        return arena.Handle(y);
    }
}

public sealed partial class Arena
{
    /// <summary>da += g @ bᵀ and db += aᵀ @ g per batch; broadcast batches accumulate into the same matrix.</summary>
    private void MatMulBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        int a = ins.Input0, b = ins.Input1;
        Span<int> scratch = stackalloc int[4 * TensorLayout.MaxRank];
        var plan = new MatMulPlan(ShapeOf(a), ShapeOf(b), scratch);
        int aSize = plan.M * plan.K, bSize = plan.K * plan.N, cSize = plan.M * plan.N;
        bool needA = RequiresGrad(a), needB = RequiresGrad(b);
        Span<float> da = needA ? GradientForAccumulation(a) : default;
        Span<float> db = needB ? GradientForAccumulation(b) : default;
        ReadOnlySpan<float> av = Values(a), bv = Values(b);
        for (int batch = 0; batch < plan.BatchCount; batch++)
        {
            plan.BatchOffsets(batch, out int am, out int bm);
            ReadOnlySpan<float> gc = g.Slice(batch * cSize, cSize);
            if (needA)
                MatrixMultiply.Gemm(gc, bv.Slice(bm * bSize, bSize), da.Slice(am * aSize, aSize),
                    plan.M, plan.N, plan.K, transposeA: false, transposeB: true, accumulate: true, GemmTeam);
            if (needB)
                MatrixMultiply.Gemm(av.Slice(am * aSize, aSize), gc, db.Slice(bm * bSize, bSize),
                    plan.K, plan.M, plan.N, transposeA: true, transposeB: false, accumulate: true, GemmTeam);
        }
    }

    /// <summary>Linear: y = x @ wᵀ + b. dx += g @ w, dw += gᵀ @ x, db += Σ over rows of g.</summary>
    private void LinearBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        int x = ins.Input0, w = ins.Input1, bias = ins.Input2;
        int outFeatures = ShapeOf(w)[0], inFeatures = ShapeOf(w)[1];
        int rows = Functional.LinearRows(ShapeOf(x));
        bool fresh;
        if (RequiresGrad(x))
            MatrixMultiply.Gemm(g, Values(w), GradientForWrite(x, out fresh), rows, outFeatures, inFeatures,
                transposeA: false, transposeB: false, accumulate: !fresh, GemmTeam);
        if (RequiresGrad(w))
            MatrixMultiply.Gemm(g, Values(x), GradientForWrite(w, out fresh), outFeatures, rows, inFeatures,
                transposeA: true, transposeB: false, accumulate: !fresh, GemmTeam);
        if (bias >= 0 && RequiresGrad(bias))
        {
            // Stackalloc, not a collection expression: unoptimized builds would put [rows, outFeatures] on the heap.
            Span<int> rowsByOut = stackalloc int[2];
            Span<int> biasStrides = stackalloc int[2];
            rowsByOut[0] = rows; rowsByOut[1] = outFeatures;
            ShapeMath.BroadcastStrides(ShapeOf(bias), rowsByOut, biasStrides);
            Reductions.SumToShape(g, rowsByOut, GradientForAccumulation(bias), biasStrides, 1f);
        }
    }
}
