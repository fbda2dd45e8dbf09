"""Golden/double/reduce: second derivatives of the reductions (sum, mean, max/amax, softmax, log_softmax, min/amin,
max/min with indices, var, std, norm by p, logsumexp, cumsum, prod) against PyTorch 1.13: torch.autograd.grad with
create_graph=True, then the gradient of S = sum(grad_input * v) (see golden_ops.py). Each reduction that is linear in
its input (sum, mean, cumsum, and the max family, which are linear where there is no tie) is composed with a
nonlinearity (a square, tanh, a product with another reduction) so the second derivative is not trivially zero.
Inputs avoid ties, zeros and kinks, except the products with zeros, which are the point of those cases.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_double_reduce.py
"""
import torch

from golden_ops import Case

torch.manual_seed(20261217)
inf = float("inf")


def P(p):
    """A norm order as a JSON attribute: infinities as the strings "Infinity" and "-Infinity" (JSON has no literal)."""
    return p if abs(p) != inf else ("Infinity" if p > 0 else "-Infinity")


def distinct(*shape, scale=1.0, shift=0.0):
    """Values with no ties and no zeros (a shuffled grid, signs mixed), so max, min and |x| have no kinks."""
    n = 1
    for s in shape:
        n *= s
    grid = (torch.arange(n, dtype=torch.float32) + 0.5) / n * 2.0 - 1.0 + 0.013  # no exact zero
    return (grid[torch.randperm(n)] * scale + shift).reshape(shape)


def away_from_zero(*shape):
    """Magnitudes in [0.4, 1.3], all different, signs mixed: no zero (p < 1 and p < 2 norms have kinks there) and no
    tie of |x| (the ±inf norms)."""
    magnitude = distinct(*shape, scale=0.45, shift=0.85)
    sign = torch.where(torch.rand(shape) < 0.5, -1.0, 1.0)
    return magnitude * sign


# ---- sum / mean ----------------------------------------------------------------------------------------------------
c = Case("reduce", "sum_all_squared_and_dims", root="double")
c.input("x", torch.randn(3, 4), requires_grad=True)
c.op("t0", "sum", ["x"], {"dim": None}, torch.sum)
c.op("t1", "mul", ["t0", "t0"], {}, lambda a, b: a * b)                                             # (Σx)²
c.op("t2", "sum", ["x"], {"dim": -1, "keepdim": True}, lambda x: x.sum(-1, keepdim=True))
c.op("t3", "tanh", ["t2"], {}, torch.tanh)
c.op("t4", "sum", ["x"], {"dim": 0, "keepdim": False}, lambda x: x.sum(0))
c.op("t5", "square", ["t4"], {}, torch.square)
c.op("t6", "sum", ["t3"], {"dim": None}, torch.sum)
c.op("t7", "sum", ["t5"], {"dim": None}, torch.sum)
c.op("t8", "add", ["t1", "t6"], {}, lambda a, b: a + b)
c.op("t9", "add", ["t8", "t7"], {}, lambda a, b: a + b)
c.save(backward="t9", double=True)

c = Case("reduce", "mean_all_and_dims_times_weights", root="double")
c.input("x", torch.randn(2, 3, 4), requires_grad=True)
c.input("w", torch.randn(2, 1, 4), requires_grad=True)
c.op("t0", "mean", ["x"], {"dim": None}, torch.mean)
c.op("t1", "exp", ["t0"], {}, torch.exp)
c.op("t2", "mean", ["x"], {"dim": -2, "keepdim": True}, lambda x: x.mean(-2, keepdim=True))
c.op("t3", "mul", ["t2", "w"], {}, lambda a, b: a * b)
c.op("t4", "tanh", ["t3"], {}, torch.tanh)
c.op("t5", "mean", ["x"], {"dim": 2, "keepdim": False}, lambda x: x.mean(2))
c.op("t6", "square", ["t5"], {}, torch.square)
c.op("t7", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t8", "sum", ["t6"], {"dim": None}, torch.sum)
c.op("t9", "add", ["t1", "t7"], {}, lambda a, b: a + b)
c.op("t10", "add", ["t9", "t8"], {}, lambda a, b: a + b)
c.save(backward="t10", double=True)

# ---- max / amax, min / amin ------------------------------------------------------------------------------------------
c = Case("reduce", "max_all_times_x", root="double")
c.input("x", distinct(3, 4, scale=2.0), requires_grad=True)
c.op("t0", "max", ["x"], {"dim": None}, torch.max)
c.op("t1", "mul", ["x", "t0"], {}, lambda a, b: a * b)                                              # x·max(x)
c.op("t2", "tanh", ["t1"], {}, torch.tanh)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t4", "mul", ["t0", "t0"], {}, lambda a, b: a * b)
c.op("t5", "add", ["t3", "t4"], {}, lambda a, b: a + b)
c.save(backward="t5", double=True)

c = Case("reduce", "amax_keepdim_and_negative_dim", root="double")
c.input("x", distinct(2, 3, 4, scale=3.0), requires_grad=True)
c.input("w", torch.randn(2, 3, 1), requires_grad=True)
c.op("t0", "max", ["x"], {"dim": -1, "keepdim": True}, lambda x: torch.amax(x, -1, keepdim=True))
c.op("t1", "mul", ["t0", "w"], {}, lambda a, b: a * b)
c.op("t2", "square", ["t1"], {}, torch.square)
c.op("t3", "amax", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.amax(x, 1))
c.op("t4", "tanh", ["t3"], {}, torch.tanh)
c.op("t5", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t6", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t7", "add", ["t5", "t6"], {}, lambda a, b: a + b)
c.save(backward="t7", double=True)

c = Case("reduce", "min_all_squared", root="double")
c.input("x", distinct(4, 3, scale=1.5, shift=0.2), requires_grad=True)
c.op("t0", "min", ["x"], {"dim": None}, torch.min)
c.op("t1", "sum", ["x"], {"dim": None}, torch.sum)
c.op("t2", "mul", ["t0", "t1"], {}, lambda a, b: a * b)                                             # min(x)·Σx
c.op("t3", "mul", ["t0", "t0"], {}, lambda a, b: a * b)
c.op("t4", "add", ["t2", "t3"], {}, lambda a, b: a + b)
c.save(backward="t4", double=True)

c = Case("reduce", "amin_keepdim_and_negative_dim", root="double")
c.input("x", distinct(3, 5, scale=2.0), requires_grad=True)
c.op("t0", "amin", ["x"], {"dim": -1, "keepdim": False}, lambda x: torch.amin(x, -1))
c.op("t1", "exp", ["t0"], {}, torch.exp)
c.op("t2", "min", ["x"], {"dim": 0, "keepdim": True}, lambda x: torch.amin(x, 0, keepdim=True))
c.op("t3", "mul", ["x", "t2"], {}, lambda a, b: a * b)
c.op("t4", "tanh", ["t3"], {}, torch.tanh)
c.op("t5", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t6", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t7", "add", ["t5", "t6"], {}, lambda a, b: a + b)
c.save(backward="t7", double=True)

# ---- max / min with indices -------------------------------------------------------------------------------------------
c = Case("reduce", "max_min_with_indices_squared", root="double")
c.input("x", distinct(3, 4, 2, scale=2.0), requires_grad=True)
c.op("t0", "max_values", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.max(x, 1).values)
c.op("t1", "square", ["t0"], {}, torch.square)
c.op("t2", "min_values", ["x"], {"dim": -1, "keepdim": True}, lambda x: torch.min(x, -1, keepdim=True).values)
c.op("t3", "mul", ["x", "t2"], {}, lambda a, b: a * b)
c.op("t4", "tanh", ["t3"], {}, torch.tanh)
c.op("t5", "max_indices", ["x"], {"dim": 0, "keepdim": False}, lambda x: torch.max(x, 0).indices)
c.op("t6", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t7", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t8", "add", ["t6", "t7"], {}, lambda a, b: a + b)
c.save(backward="t8", double=True)

# ---- softmax / log_softmax -------------------------------------------------------------------------------------------
c = Case("reduce", "softmax_times_weights", root="double")
c.input("x", torch.randn(3, 5), requires_grad=True)
c.input("w", torch.randn(3, 5), requires_grad=True)
c.op("t0", "softmax", ["x"], {"dim": -1}, lambda x: torch.softmax(x, -1))
c.op("t1", "mul", ["t0", "w"], {}, lambda a, b: a * b)
c.op("t2", "softmax", ["x"], {"dim": 0}, lambda x: torch.softmax(x, 0))
c.op("t3", "square", ["t2"], {}, torch.square)
c.op("t4", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t5", "sum", ["t3"], {"dim": None}, torch.sum)
c.op("t6", "add", ["t4", "t5"], {}, lambda a, b: a + b)
c.save(backward="t6", double=True)

c = Case("reduce", "log_softmax_times_weights", root="double")
c.input("x", torch.randn(2, 4, 3), requires_grad=True)
c.input("w", torch.randn(2, 4, 3))
c.op("t0", "log_softmax", ["x"], {"dim": 1}, lambda x: torch.log_softmax(x, 1))
c.op("t1", "mul", ["t0", "w"], {}, lambda a, b: a * b)
c.op("t2", "log_softmax", ["x"], {"dim": -1}, lambda x: torch.log_softmax(x, -1))
c.op("t3", "square", ["t2"], {}, torch.square)
c.op("t4", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t5", "sum", ["t3"], {"dim": None}, torch.sum)
c.op("t6", "add", ["t4", "t5"], {}, lambda a, b: a + b)
c.save(backward="t6", double=True)

# ---- var / std -------------------------------------------------------------------------------------------------------
c = Case("reduce", "var_corrections_and_keepdim", root="double")
c.input("x", torch.randn(3, 5), requires_grad=True)
c.input("w", torch.randn(3, 1), requires_grad=True)
c.op("t0", "var", ["x"], {"dim": 1, "correction": 1, "keepdim": False}, lambda x: torch.var(x, 1))
c.op("t1", "square", ["t0"], {}, torch.square)
c.op("t2", "var", ["x"], {"dim": -1, "correction": 0, "keepdim": True}, lambda x: torch.var(x, -1, correction=0, keepdim=True))
c.op("t3", "mul", ["t2", "w"], {}, lambda a, b: a * b)
c.op("t4", "tanh", ["t3"], {}, torch.tanh)
c.op("t5", "var", ["x"], {"dim": None, "correction": 2, "keepdim": False}, lambda x: torch.var(x, None, correction=2))
c.op("t6", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t7", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t8", "add", ["t6", "t7"], {}, lambda a, b: a + b)
c.op("t9", "add", ["t8", "t5"], {}, lambda a, b: a + b)
c.save(backward="t9", double=True)

c = Case("reduce", "std_corrections_and_keepdim", root="double")
c.input("x", torch.randn(4, 3) * 2.0 + 1.0, requires_grad=True)
c.op("t0", "std", ["x"], {"dim": 0, "correction": 1, "keepdim": False}, lambda x: torch.std(x, 0))
c.op("t1", "std", ["x"], {"dim": -1, "correction": 0, "keepdim": True}, lambda x: torch.std(x, -1, correction=0, keepdim=True))
c.op("t2", "mul", ["x", "t1"], {}, lambda a, b: a * b)
c.op("t3", "tanh", ["t2"], {}, torch.tanh)
c.op("t4", "std", ["x"], {"dim": None, "correction": 1, "keepdim": True}, lambda x: torch.std(x, None, correction=1, keepdim=True))
c.op("t5", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t6", "sum", ["t3"], {"dim": None}, torch.sum)
c.op("t7", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t8", "add", ["t5", "t6"], {}, lambda a, b: a + b)
c.op("t9", "add", ["t8", "t7"], {}, lambda a, b: a + b)
c.save(backward="t9", double=True)

# ---- norm: every form of norm_backward ----------------------------------------------------------------------------
for name, p in [("2", 2.0), ("1", 1.0), ("inf", inf), ("neg_inf", -inf), ("3", 3.0), ("half", 0.5), ("1_5", 1.5),
                ("neg_1", -1.0), ("2_5", 2.5)]:
    c = Case("reduce", f"norm_p_{name}", root="double")
    c.input("x", away_from_zero(3, 4), requires_grad=True)
    c.input("w", torch.randn(3, 1), requires_grad=True)
    c.op("t0", "norm", ["x"], {"p": P(p), "dim": None, "keepdim": False}, lambda x: x.norm(p))
    c.op("t1", "mul", ["t0", "t0"], {}, lambda a, b: a * b)                                         # ‖x‖²
    c.op("t2", "norm", ["x"], {"p": P(p), "dim": -1, "keepdim": True}, lambda x: x.norm(p, -1, keepdim=True))
    c.op("t3", "log", ["t2"], {}, torch.log)
    c.op("t4", "mul", ["t3", "w"], {}, lambda a, b: a * b)
    c.op("t5", "norm", ["x"], {"p": P(p), "dim": 0, "keepdim": False}, lambda x: x.norm(p, 0))
    c.op("t6", "square", ["t5"], {}, torch.square)
    c.op("t7", "sum", ["t4"], {"dim": None}, torch.sum)
    c.op("t8", "sum", ["t6"], {"dim": None}, torch.sum)
    c.op("t9", "add", ["t1", "t7"], {}, lambda a, b: a + b)
    c.op("t10", "add", ["t9", "t8"], {}, lambda a, b: a + b)
    c.save(backward="t10", double=True)

# p = 0 has no gradient of its own (PyTorch's is undefined): its count scales a 2-norm.
c = Case("reduce", "norm_p_0_times_norm_2", root="double")
c.input("x", torch.tensor([[1.0, -2.0, 0.0], [0.0, 0.7, 0.5]]), requires_grad=True)
c.op("t0", "norm", ["x"], {"p": P(0.0), "dim": None, "keepdim": False}, lambda x: x.norm(0))
c.op("t1", "norm", ["x"], {"p": P(0.0), "dim": 1, "keepdim": True}, lambda x: x.norm(0, 1, keepdim=True))
c.op("t2", "norm", ["x"], {"p": P(2.0), "dim": 1, "keepdim": True}, lambda x: x.norm(2, 1, keepdim=True))
c.op("t3", "mul", ["t1", "t2"], {}, lambda a, b: a * b)
c.op("t4", "square", ["t3"], {}, torch.square)
c.op("t5", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t6", "add", ["t0", "t5"], {}, lambda a, b: a + b)
c.save(backward="t6", double=True)

# ---- logsumexp -------------------------------------------------------------------------------------------------------
c = Case("reduce", "logsumexp_squared_and_keepdim", root="double")
c.input("x", torch.randn(3, 4, 2) * 2.0, requires_grad=True)
c.input("w", torch.randn(1, 4, 2), requires_grad=True)
c.op("t0", "logsumexp", ["x"], {"dim": -1, "keepdim": False}, lambda x: torch.logsumexp(x, -1))
c.op("t1", "square", ["t0"], {}, torch.square)
c.op("t2", "logsumexp", ["x"], {"dim": 0, "keepdim": True}, lambda x: torch.logsumexp(x, 0, keepdim=True))
c.op("t3", "mul", ["t2", "w"], {}, lambda a, b: a * b)
c.op("t4", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t5", "sum", ["t3"], {"dim": None}, torch.sum)
c.op("t6", "add", ["t4", "t5"], {}, lambda a, b: a + b)
c.save(backward="t6", double=True)

# ---- cumsum ----------------------------------------------------------------------------------------------------------
c = Case("reduce", "cumsum_squared_and_weighted", root="double")
c.input("x", torch.randn(3, 5), requires_grad=True)
c.input("w", torch.randn(3, 5), requires_grad=True)
c.op("t0", "cumsum", ["x"], {"dim": -1}, lambda x: torch.cumsum(x, -1))
c.op("t1", "square", ["t0"], {}, torch.square)
c.op("t2", "cumsum", ["x"], {"dim": 0}, lambda x: torch.cumsum(x, 0))
c.op("t3", "mul", ["t2", "w"], {}, lambda a, b: a * b)
c.op("t4", "tanh", ["t3"], {}, torch.tanh)
c.op("t5", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t6", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t7", "add", ["t5", "t6"], {}, lambda a, b: a + b)
c.save(backward="t7", double=True)

# ---- prod ------------------------------------------------------------------------------------------------------------
for name, data in [("no_zero", [[1.2, -0.8, 1.5], [0.9, 1.1, -1.3]]), ("one_zero", [[1.2, 0.0, 1.5], [0.9, 1.1, -1.3]]),
                   ("two_zeros", [[1.2, 0.0, 1.5], [0.0, 1.1, -1.3]]), ("three_zeros", [[0.0, 0.0, 1.5], [0.0, 1.1, -1.3]])]:
    c = Case("reduce", f"prod_all_{name}", root="double")
    c.input("x", torch.tensor(data), requires_grad=True)
    c.op("t0", "prod", ["x"], {"dim": None}, torch.prod)
    c.op("t1", "sum", ["x"], {"dim": None}, torch.sum)
    c.op("t2", "mul", ["t0", "t1"], {}, lambda a, b: a * b)                                         # Πx·Σx
    c.op("t3", "add", ["t2", "t0"], {}, lambda a, b: a + b)
    c.save(backward="t3", double=True)

c = Case("reduce", "prod_dim_zeros_keepdim_negative_dim", root="double")
c.input("x", torch.tensor([[1.2, -0.8, 1.5, 0.7, -1.1], [0.9, 0.0, -1.3, 1.4, 0.6], [0.0, 1.3, 0.0, -0.9, 1.2],
                           [0.0, 0.0, 0.0, 1.1, -0.7]]), requires_grad=True)
c.input("w", torch.randn(4, 1), requires_grad=True)
c.op("t0", "prod", ["x"], {"dim": -1, "keepdim": True}, lambda x: torch.prod(x, -1, keepdim=True))
c.op("t1", "mul", ["t0", "w"], {}, lambda a, b: a * b)
c.op("t2", "tanh", ["t1"], {}, torch.tanh)
c.op("t3", "prod", ["x"], {"dim": 0, "keepdim": False}, lambda x: torch.prod(x, 0))
c.op("t4", "square", ["t3"], {}, torch.square)
c.op("t5", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t6", "sum", ["t4"], {"dim": None}, torch.sum)
c.op("t7", "add", ["t5", "t6"], {}, lambda a, b: a + b)
c.save(backward="t7", double=True)

c = Case("reduce", "prod_long_strided_slices", root="double")
c.input("x", torch.rand(2, 7, 3) * 0.8 + 0.6, requires_grad=True)
c.op("t0", "prod", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.prod(x, 1))
c.op("t1", "log", ["t0"], {}, torch.log)
c.op("t2", "square", ["t1"], {}, torch.square)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.save(backward="t3", double=True)
