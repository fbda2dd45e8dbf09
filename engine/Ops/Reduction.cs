namespace ArenaGrad;

/// <summary>How a loss reduces its per-element (or per-row) losses, as PyTorch's <c>reduction=</c> argument.</summary>
public enum Reduction
{
    /// <summary>The mean over the elements (over the non-ignored rows for nll_loss and cross_entropy): <c>'mean'</c>.</summary>
    Mean,

    /// <summary>The sum: <c>'sum'</c>.</summary>
    Sum,

    /// <summary>No reduction: the loss of every element (or row), in the input's shape (or [N]): <c>'none'</c>.</summary>
    None,
}
