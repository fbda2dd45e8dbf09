namespace ArenaGrad.Nn;

/// <summary>In-place parameter initializers (<c>torch.nn.init</c>): they write under no-grad, so a module's parameters
/// (leaves that require grad) can be re-initialized after construction, and draw from the tensor's arena generator.</summary>
public static class Init
{
    /// <summary>Fills <paramref name="tensor"/> with a (semi-)orthogonal matrix times <paramref name="gain"/>, as
    /// <c>torch.nn.init.orthogonal_</c>: with rows = size(0) and cols = numel / rows, a rows × cols standard normal
    /// matrix A is drawn from the arena's generator; Q of the reduced QR factorization of A (of Aᵀ when rows &lt; cols) is
    /// multiplied column by column by the sign of R's diagonal (so Q is Haar-distributed), transposed back, and written
    /// as float32, then multiplied by the float32 gain. The rows (when rows ≤ cols) or the columns (otherwise) of the
    /// result are orthonormal up to the gain. Returns <paramref name="tensor"/>.</summary>
    /// <remarks>The factorization runs in double with Householder reflections, so the values match PyTorch's on the same
    /// normal matrix to float32 rounding; the normal draws come from this library's generator, not PyTorch's.</remarks>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions (PyTorch's message) or is not Float32.</exception>
    /// <exception cref="InvalidOperationException">The tensor is a read-only borrowed view, or an arena scope cannot be
    /// opened (a capture is running).</exception>
    public static Tensor Orthogonal(Tensor tensor, float gain = 1)
    {
        Arena arena = tensor.Arena;
        if (tensor.Rank < 2) throw new ArgumentException("Only tensors with 2 or more dimensions are supported", nameof(tensor));
        arena.RequireFloat(tensor.Slot);
        arena.ThrowIfReadOnly(tensor.Slot, "modified in place");
        if (tensor.Count == 0) return tensor; // PyTorch: a no-op
        int rows = tensor.Size(0), cols = tensor.Count / rows;
        var normal = new float[rows * cols]; // initialization, not a hot path: managed scratch is fine
        using (arena.Scope()) arena.Randn([rows, cols]).CopyTo(normal);
        var result = new float[normal.Length];
        OrthogonalFrom(normal, rows, cols, gain, result);
        using (arena.NoGrad()) tensor.CopyFrom(result);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with <paramref name="value"/> (<c>torch.nn.init.constant_</c>), under
    /// no-grad. Returns <paramref name="tensor"/>.</summary>
    /// <exception cref="ArgumentException">The tensor is not Float32.</exception>
    public static Tensor Constant(Tensor tensor, float value)
    {
        using (tensor.Arena.NoGrad()) tensor.FillInPlace(value);
        return tensor;
    }

    /// <summary>orthogonal_'s steps on a given rows × cols normal matrix (row-major), into <paramref name="result"/>:
    /// the sign-fixed Q of A (or of Aᵀ, transposed back), rounded to float32, times the float32 gain.</summary>
    internal static void OrthogonalFrom(ReadOnlySpan<float> normal, int rows, int cols, float gain, Span<float> result)
    {
        bool transpose = rows < cols;
        int m = transpose ? cols : rows, n = transpose ? rows : cols; // A is m × n with m ≥ n
        var a = new double[m, n];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                double v = normal[r * cols + c];
                if (transpose) a[c, r] = v;
                else a[r, c] = v;
            }
        double[,] q = HouseholderQ(a, m, n, out double[] rDiagonal);
        for (int k = 0; k < n; k++)
        {
            double sign = Math.Sign(rDiagonal[k]); // torch.sign: 0 for 0
            for (int i = 0; i < m; i++) q[i, k] *= sign;
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                float v = (float)(transpose ? q[c, r] : q[r, c]);
                result[r * cols + c] = v * gain; // copy_ to float32, then mul_(gain) in float32
            }
    }

    /// <summary>The reduced QR factorization A = Q·R of an m × n matrix (m ≥ n) by Householder reflections: returns Q
    /// (m × n) and R's diagonal. A is overwritten.</summary>
    private static double[,] HouseholderQ(double[,] a, int m, int n, out double[] rDiagonal)
    {
        var reflectors = new double[n][];
        rDiagonal = new double[n];
        for (int k = 0; k < n; k++)
        {
            double norm = 0;
            for (int i = k; i < m; i++) norm += a[i, k] * a[i, k];
            norm = Math.Sqrt(norm);
            // Reflect x onto −sign(x₀)·‖x‖·e₀, which avoids cancellation in v = x − α·e₀.
            double alpha = a[k, k] > 0 ? -norm : norm;
            var v = new double[m - k];
            for (int i = k; i < m; i++) v[i - k] = a[i, k];
            v[0] -= alpha;
            double vNorm = 0;
            for (int i = 0; i < v.Length; i++) vNorm += v[i] * v[i];
            if (vNorm > 0)
            {
                // A[k:, k:] −= 2·v·(vᵀ·A[k:, k:]) / (vᵀv)
                for (int j = k; j < n; j++)
                {
                    double dot = 0;
                    for (int i = k; i < m; i++) dot += v[i - k] * a[i, j];
                    double f = 2 * dot / vNorm;
                    for (int i = k; i < m; i++) a[i, j] -= f * v[i - k];
                }
            }
            reflectors[k] = v;
            rDiagonal[k] = a[k, k];
        }
        // Q = H₀·H₁·…·H_{n−1} applied to the first n columns of the identity, last reflector first.
        var q = new double[m, n];
        for (int k = 0; k < n; k++) q[k, k] = 1;
        for (int k = n - 1; k >= 0; k--)
        {
            double[] v = reflectors[k];
            double vNorm = 0;
            for (int i = 0; i < v.Length; i++) vNorm += v[i] * v[i];
            if (vNorm == 0) continue;
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int i = k; i < m; i++) dot += v[i - k] * q[i, j];
                double f = 2 * dot / vNorm;
                for (int i = k; i < m; i++) q[i, j] -= f * v[i - k];
            }
        }
        return q;
    }
}
