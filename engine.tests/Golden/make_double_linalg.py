"""Golden/double/linalg: second derivatives through matmul (every rank pairing: 1x1, 2x1, 1x2, 2x2, batched 3x3,
batched with broadcast, 1-D against batched, 4-D) and F.linear (1-D, 2-D and 3-D input, with and without bias, and
biases that broadcast) against PyTorch 1.13. Each product is followed by tanh or a square, so the second derivatives
with respect to both operands (and the cross terms between them) are not zero. See golden_ops.py for the format.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_double_linalg.py
"""
import torch
import torch.nn.functional as F

from golden_ops import Case

torch.manual_seed(20261218)


def randn(shape):
    return 0.6 * torch.randn(tuple(shape))


def finish(c, name, nonlinearity):
    """nonlinearity(name).sum(); the root's name."""
    if nonlinearity == "tanh":
        c.op("f", "tanh", [name], {}, torch.tanh)
    else:
        c.op("f", "square", [name], {}, torch.square)
    c.op("r", "sum", ["f"], {"dim": None}, torch.sum)
    return "r"


def matmul(name, a_shape, b_shape, nonlinearity):
    c = Case("linalg", name, root="double")
    c.input("a", randn(a_shape), requires_grad=True)
    c.input("b", randn(b_shape), requires_grad=True)
    c.op("y", "matmul", ["a", "b"], {}, torch.matmul)
    c.save(backward=finish(c, "y", nonlinearity), double=True)


matmul("matmul_1x1_tanh", [4], [4], "tanh")
matmul("matmul_1x1_square", [3], [3], "square")
matmul("matmul_2x1_tanh", [3, 4], [4], "tanh")
matmul("matmul_1x2_tanh", [3], [3, 4], "tanh")
matmul("matmul_2x2_square", [3, 4], [4, 2], "square")
matmul("matmul_2x2_tanh", [2, 5], [5, 3], "tanh")
matmul("matmul_3x3_batched_tanh", [2, 3, 4], [2, 4, 2], "tanh")
matmul("matmul_3x3_batch_broadcast_square", [1, 3, 4], [2, 4, 2], "square")
matmul("matmul_3x2_broadcast_tanh", [2, 3, 4], [4, 5], "tanh")
matmul("matmul_2x3_broadcast_square", [3, 4], [2, 4, 5], "square")
matmul("matmul_1x3_tanh", [4], [2, 4, 3], "tanh")
matmul("matmul_3x1_square", [2, 3, 4], [4], "square")
matmul("matmul_4x4_tanh", [2, 2, 3, 4], [2, 2, 4, 3], "tanh")
matmul("matmul_4x3_broadcast_tanh", [2, 1, 3, 4], [3, 4, 2], "tanh")


def linear(name, x_shape, out_features, bias_shape, nonlinearity, frozen_weight=False):
    c = Case("linalg", name, root="double")
    c.input("x", randn(x_shape), requires_grad=True)
    c.input("w", randn([out_features, x_shape[-1]]), requires_grad=not frozen_weight)
    args = ["x", "w"]
    if bias_shape is not None:
        c.input("b", randn(bias_shape), requires_grad=True)
        args.append("b")
    c.op("y", "linear", args, {}, lambda *ts: F.linear(*ts))
    c.save(backward=finish(c, "y", nonlinearity), double=True)


linear("linear_1d_bias_tanh", [4], 3, [3], "tanh")
linear("linear_1d_no_bias_square", [4], 3, None, "square")
linear("linear_2d_bias_tanh", [5, 4], 3, [3], "tanh")
linear("linear_2d_no_bias_square", [5, 4], 3, None, "square")
linear("linear_3d_bias_tanh", [2, 3, 4], 3, [3], "tanh")
linear("linear_3d_no_bias_tanh", [2, 3, 4], 2, None, "tanh")
linear("linear_3d_bias_square", [2, 3, 4], 3, [3], "square")
# Biases that broadcast to [rows, out] (addmm's rule): each gradient is summed back to the bias's own shape.
linear("linear_2d_bias_row_tanh", [5, 4], 3, [1, 3], "tanh")
linear("linear_2d_bias_column_tanh", [5, 4], 3, [5, 1], "tanh")
linear("linear_2d_bias_full_square", [5, 4], 3, [5, 3], "square")
linear("linear_1d_bias_one_tanh", [4], 3, [1], "tanh")
linear("linear_3d_bias_scalar_tanh", [2, 3, 4], 3, [], "tanh")
# A frozen weight: only x and b take gradients, and the first gradient of x still depends on x through tanh.
linear("linear_2d_frozen_weight_tanh", [5, 4], 3, [3], "tanh", frozen_weight=True)
# No input features: x and w are empty, y = b in every row (the rule's reshapes take explicit row counts, since -1 is
# ambiguous for an empty tensor).
linear("linear_2d_zero_in_features_tanh", [3, 0], 2, [2], "tanh")
