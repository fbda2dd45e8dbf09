"""Golden/ops/reduce: the reductions of issue 16 (min, amin/amax, max/min with indices, argmax/argmin, var/std, norm,
logsumexp, cumsum, prod), forward and backward, checked against PyTorch 1.13: ties, NaN and infinities, empty and 0-d
tensors, keepdim, strided (inner) axes, slices no larger than the correction, zeros in products. See golden_ops.py.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_ops_reduce.py
"""
import torch

from golden_ops import Case

torch.manual_seed(20261207)
nan, inf = float("nan"), float("inf")


def P(p):
    """A norm order as a JSON attribute: infinities as the strings "Infinity" and "-Infinity" (JSON has no literal)."""
    return p if abs(p) != inf else ("Infinity" if p > 0 else "-Infinity")


# ---- min / amin / amax -----------------------------------------------------------------------------------------
c = Case("reduce", "min_all_ties_share")
c.input("x", torch.tensor([[1.0, 3.0, 1.0], [4.0, 1.0, 2.0]]), requires_grad=True)
c.op("t0", "min", ["x"], {"dim": None}, torch.min)
c.save(backward="t0")

c = Case("reduce", "min_all_nan")
c.input("x", torch.tensor([2.0, nan, -1.0, nan]), requires_grad=True)
c.op("t0", "min", ["x"], {"dim": None}, torch.min)
c.save(backward="t0")

c = Case("reduce", "amin_amax_ties_and_nan")
c.input("x", torch.tensor([[1.0, 1.0, 3.0], [nan, 2.0, 0.0], [5.0, 5.0, 5.0]]), requires_grad=True)
c.op("t0", "amin", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.amin(x, 1))
c.op("t1", "amax", ["x"], {"dim": 0, "keepdim": True}, lambda x: torch.amax(x, 0, keepdim=True))
c.op("t2", "mul_scalar", ["t1"], {"scalar": 2.0}, lambda t: t * 2.0)
c.op("t3", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t4", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t5", "add", ["t3", "t4"], {}, lambda a, b: a + b)
c.save(backward="t5")

c = Case("reduce", "amin_strided_rank3")
c.input("x", torch.randn(2, 5, 3), requires_grad=True)
c.op("t0", "amin", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.amin(x, 1))
c.op("t1", "amin", ["x"], {"dim": -1, "keepdim": True}, lambda x: torch.amin(x, -1, keepdim=True))
c.op("t2", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t3", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t4", "add", ["t2", "t3"], {}, lambda a, b: a + b)
c.save(backward="t4")

# ---- values with indices, argmax/argmin -------------------------------------------------------------------------
c = Case("reduce", "max_min_with_indices_ties_nan")
c.input("x", torch.tensor([[1.0, 3.0, 3.0, 0.0], [nan, 2.0, nan, 5.0], [2.0, 2.0, 2.0, 2.0], [-inf, -inf, -inf, -inf]]),
        requires_grad=True)
c.op("t0", "max_values", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.max(x, 1).values)
c.op("t1", "max_indices", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.max(x, 1).indices)
c.op("t2", "min_values", ["x"], {"dim": 1, "keepdim": True}, lambda x: torch.min(x, 1, keepdim=True).values)
c.op("t3", "min_indices", ["x"], {"dim": 1, "keepdim": True}, lambda x: torch.min(x, 1, keepdim=True).indices)
c.op("t4", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t5", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t6", "add", ["t4", "t5"], {}, lambda a, b: a + b)
c.save(backward="t6")

c = Case("reduce", "max_with_indices_strided")
c.input("x", torch.tensor([[[1.0, 5.0], [4.0, 5.0], [4.0, -1.0]], [[0.0, 0.0], [0.0, 0.0], [7.0, nan]]]), requires_grad=True)
c.op("t0", "max_values", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.max(x, 1).values)
c.op("t1", "max_indices", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.max(x, 1).indices)
c.op("t2", "min_values", ["x"], {"dim": 0, "keepdim": False}, lambda x: torch.min(x, 0).values)
c.op("t3", "min_indices", ["x"], {"dim": 0, "keepdim": False}, lambda x: torch.min(x, 0).indices)
c.op("t4", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t5", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t6", "mul", ["t4", "t5"], {}, lambda a, b: a * b)
c.save(backward="t6")

c = Case("reduce", "argmax_argmin")
c.input("x", torch.tensor([[1.0, 5.0, 5.0, nan, nan, 0.0], [4.0, 1.0, 1.0, 7.0, 7.0, -2.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]))
c.op("t0", "argmax", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.argmax(x, 1))
c.op("t1", "argmin", ["x"], {"dim": 1, "keepdim": True}, lambda x: torch.argmin(x, 1, keepdim=True))
c.op("t2", "argmax", ["x"], {"dim": 0, "keepdim": False}, lambda x: torch.argmax(x, 0))
c.op("t3", "argmin", ["x"], {"dim": 0, "keepdim": False}, lambda x: torch.argmin(x, 0))
c.op("t4", "argmax", ["x"], {"dim": None}, torch.argmax)
c.op("t5", "argmin", ["x"], {"dim": None}, torch.argmin)
c.save()

c = Case("reduce", "argmax_of_requires_grad_input")
x = c.input("x", torch.randn(3, 4), requires_grad=True)
c.op("t0", "argmax", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.argmax(x, 1))
c.op("t1", "argmin", ["x"], {"dim": None}, torch.argmin)
c.op("t2", "amax", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.amax(x, 1))
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.save(backward="t3")

c = Case("reduce", "extremes_of_scalar_and_empty")
c.input("s", torch.tensor(-3.0), requires_grad=True)
c.input("e", torch.zeros(0, 3), requires_grad=True)
c.op("t0", "max_values", ["s"], {"dim": 0, "keepdim": True}, lambda x: torch.max(x, 0, keepdim=True).values)
c.op("t1", "max_indices", ["s"], {"dim": 0, "keepdim": True}, lambda x: torch.max(x, 0, keepdim=True).indices)
c.op("t2", "argmin", ["s"], {"dim": 0, "keepdim": False}, lambda x: torch.argmin(x, 0))
c.op("t3", "min_values", ["e"], {"dim": 1, "keepdim": False}, lambda x: torch.min(x, 1).values)
c.op("t4", "argmax", ["e"], {"dim": 1, "keepdim": True}, lambda x: torch.argmax(x, 1, keepdim=True))
c.op("t5", "amin", ["e"], {"dim": 1, "keepdim": False}, lambda x: torch.amin(x, 1))
c.op("t6", "min", ["s"], {"dim": None}, torch.min)
c.op("t7", "sum", ["t3"], {"dim": None}, torch.sum)
c.op("t8", "add", ["t0", "t6"], {}, lambda a, b: a + b)
c.op("t9", "add", ["t8", "t7"], {}, lambda a, b: a + b)
c.save(backward="t9")

# ---- var / std ----------------------------------------------------------------------------------------------------
for correction in [0, 1, 2, 3, 4]:
    c = Case("reduce", f"var_std_correction_{correction}")
    c.input("x", torch.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]]), requires_grad=True)
    c.op("t0", "var", ["x"], {"dim": 1, "correction": correction, "keepdim": False},
         lambda x: torch.var(x, 1, correction=correction))
    c.op("t1", "std", ["x"], {"dim": 1, "correction": correction, "keepdim": True},
         lambda x: torch.std(x, 1, correction=correction, keepdim=True))
    c.op("t2", "sum", ["t0"], {"dim": None}, torch.sum)
    c.op("t3", "sum", ["t1"], {"dim": None}, torch.sum)
    c.op("t4", "add", ["t2", "t3"], {}, lambda a, b: a + b)
    c.save(backward="t4")

c = Case("reduce", "var_std_all_elements")
c.input("x", torch.randn(3, 4) * 2 + 5, requires_grad=True)
c.op("t0", "var", ["x"], {"dim": None, "correction": 1, "keepdim": False}, lambda x: torch.var(x))
c.op("t1", "std", ["x"], {"dim": None, "correction": 0, "keepdim": True}, lambda x: torch.std(x, None, correction=0, keepdim=True))
c.op("t2", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t3", "add", ["t0", "t2"], {}, lambda a, b: a + b)
c.save(backward="t3")

c = Case("reduce", "var_std_strided_rank4")
c.input("x", torch.randn(2, 3, 4, 5), requires_grad=True)
c.op("t0", "var", ["x"], {"dim": 1, "correction": 1, "keepdim": False}, lambda x: torch.var(x, 1))
c.op("t1", "std", ["x"], {"dim": 2, "correction": 1, "keepdim": False}, lambda x: torch.std(x, 2))
c.op("t2", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t3", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t4", "add", ["t2", "t3"], {}, lambda a, b: a + b)
c.save(backward="t4")

c = Case("reduce", "var_std_long_rows")
c.input("x", torch.randn(2, 300) * 0.5 + 10.0, requires_grad=True)
c.op("t0", "var", ["x"], {"dim": 1, "correction": 1, "keepdim": False}, lambda x: torch.var(x, 1))
c.op("t1", "std", ["x"], {"dim": 0, "correction": 1, "keepdim": False}, lambda x: torch.std(x, 0))
c.op("t2", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t3", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t4", "add", ["t2", "t3"], {}, lambda a, b: a + b)
c.save(backward="t4")

c = Case("reduce", "std_of_constant_rows_zero_gradient")
c.input("x", torch.tensor([[0.0, 0.0, 0.0], [2.5, 2.5, 2.5]]), requires_grad=True)
c.op("t0", "std", ["x"], {"dim": 1, "correction": 1, "keepdim": False}, lambda x: torch.std(x, 1))
c.op("t1", "sum", ["t0"], {"dim": None}, torch.sum)
c.save(backward="t1")

c = Case("reduce", "var_empty_and_nonfinite")
c.input("e", torch.zeros(2, 0))
c.input("x", torch.tensor([[1.0, inf], [1.0, nan], [1e30, -1e30]]))
c.op("t0", "var", ["e"], {"dim": 1, "correction": 1, "keepdim": False}, lambda x: torch.var(x, 1))
c.op("t1", "var", ["x"], {"dim": 1, "correction": 1, "keepdim": False}, lambda x: torch.var(x, 1))
c.op("t2", "std", ["e"], {"dim": 0, "correction": 1, "keepdim": False}, lambda x: torch.std(x, 0))
c.save()

# ---- norm ----------------------------------------------------------------------------------------------------------
for name, p in [("2", 2.0), ("1", 1.0), ("inf", inf), ("neg_inf", -inf), ("3", 3.0), ("half", 0.5), ("1_5", 1.5),
                ("neg_1", -1.0), ("neg_2", -2.0)]:
    c = Case("reduce", f"norm_p_{name}")
    c.input("x", torch.tensor([[1.0, -2.0, 0.0], [3.0, -3.0, 0.5]]), requires_grad=True)
    c.op("t0", "norm", ["x"], {"p": P(p), "dim": None, "keepdim": False}, lambda x: x.norm(p))
    c.op("t1", "norm", ["x"], {"p": P(p), "dim": 1, "keepdim": False}, lambda x: x.norm(p, 1))
    c.op("t2", "norm", ["x"], {"p": P(p), "dim": 0, "keepdim": True}, lambda x: x.norm(p, 0, keepdim=True))
    c.op("t3", "sum", ["t1"], {"dim": None}, torch.sum)
    c.op("t4", "sum", ["t2"], {"dim": None}, torch.sum)
    c.op("t5", "add", ["t0", "t3"], {}, lambda a, b: a + b)
    c.op("t6", "add", ["t5", "t4"], {}, lambda a, b: a + b)
    c.save(backward="t6")

c = Case("reduce", "norm_p_0_has_no_gradient")
c.input("x", torch.tensor([[1.0, -2.0, 0.0], [0.0, nan, 0.5]]), requires_grad=True)
c.op("t0", "norm", ["x"], {"p": P(0.0), "dim": None, "keepdim": False}, lambda x: x.norm(0))
c.op("t1", "norm", ["x"], {"p": P(0.0), "dim": 1, "keepdim": False}, lambda x: x.norm(0, 1))
c.op("t2", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t3", "add", ["t0", "t2"], {}, lambda a, b: a + b)
c.save(backward="t3")

for name, p in [("2", 2.0), ("1", 1.0), ("inf", inf), ("3", 3.0), ("half", 0.5), ("neg_1", -1.0)]:
    c = Case("reduce", f"norm_of_zeros_p_{name}")
    c.input("x", torch.zeros(2, 3), requires_grad=True)
    c.op("t0", "norm", ["x"], {"p": P(p), "dim": None, "keepdim": False}, lambda x: x.norm(p))
    c.op("t1", "norm", ["x"], {"p": P(p), "dim": 1, "keepdim": False}, lambda x: x.norm(p, 1))
    c.op("t2", "sum", ["t1"], {"dim": None}, torch.sum)
    c.op("t3", "add", ["t0", "t2"], {}, lambda a, b: a + b)
    c.save(backward="t3")

c = Case("reduce", "norm_nonfinite_and_empty")
c.input("x", torch.tensor([1.0, nan, -inf, 2.0]), requires_grad=True)
c.input("e", torch.zeros(3, 0))
c.op("t0", "norm", ["x"], {"p": P(1.0), "dim": None, "keepdim": False}, lambda x: x.norm(1))
c.op("t1", "norm", ["x"], {"p": P(inf), "dim": None, "keepdim": False}, lambda x: x.norm(inf))
c.op("t2", "norm", ["x"], {"p": P(-inf), "dim": None, "keepdim": False}, lambda x: x.norm(-inf))
c.op("t3", "norm", ["e"], {"p": P(inf), "dim": 1, "keepdim": False}, lambda x: x.norm(inf, 1))
c.op("t4", "norm", ["e"], {"p": P(-1.0), "dim": None, "keepdim": False}, lambda x: x.norm(-1))
c.op("t5", "norm", ["e"], {"p": P(2.0), "dim": 1, "keepdim": False}, lambda x: x.norm(2, 1))
c.op("t6", "add", ["t0", "t1"], {}, lambda a, b: a + b)
c.op("t7", "add", ["t6", "t2"], {}, lambda a, b: a + b)
c.save(backward="t7")

c = Case("reduce", "norm_strided_rank3")
c.input("x", torch.randn(2, 4, 3), requires_grad=True)
c.op("t0", "norm", ["x"], {"p": P(2.0), "dim": 1, "keepdim": False}, lambda x: x.norm(2, 1))
c.op("t1", "norm", ["x"], {"p": P(3.0), "dim": 0, "keepdim": False}, lambda x: x.norm(3, 0))
c.op("t2", "norm", ["x"], {"p": P(inf), "dim": 1, "keepdim": True}, lambda x: x.norm(inf, 1, keepdim=True))
c.op("t3", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t4", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t5", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t6", "add", ["t3", "t4"], {}, lambda a, b: a + b)
c.op("t7", "add", ["t6", "t5"], {}, lambda a, b: a + b)
c.save(backward="t7")

# ---- logsumexp -----------------------------------------------------------------------------------------------------
c = Case("reduce", "logsumexp_stable_and_nonfinite")
c.input("x", torch.tensor([[1.0, 2.0, 3.0], [-inf, -inf, -inf], [inf, 1.0, 2.0], [inf, -inf, 0.0], [nan, 1.0, 2.0],
                           [1000.0, 1000.0, -1000.0], [-1000.0, -1001.0, -1002.0]]), requires_grad=True)
c.op("t0", "logsumexp", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.logsumexp(x, 1))
c.op("t1", "sum", ["t0"], {"dim": None}, torch.sum)
c.save(backward="t1")

c = Case("reduce", "logsumexp_strided_keepdim")
c.input("x", torch.randn(3, 5, 4) * 3, requires_grad=True)
c.op("t0", "logsumexp", ["x"], {"dim": 1, "keepdim": True}, lambda x: torch.logsumexp(x, 1, keepdim=True))
c.op("t1", "logsumexp", ["x"], {"dim": 0, "keepdim": False}, lambda x: torch.logsumexp(x, 0))
c.op("t2", "mul", ["t0", "t0"], {}, lambda a, b: a * b)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t4", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t5", "add", ["t3", "t4"], {}, lambda a, b: a + b)
c.save(backward="t5")

c = Case("reduce", "logsumexp_long_rows")
c.input("x", torch.randn(3, 700) * 4, requires_grad=True)
c.op("t0", "logsumexp", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.logsumexp(x, 1))
c.op("t1", "sum", ["t0"], {"dim": None}, torch.sum)
c.save(backward="t1")

c = Case("reduce", "logsumexp_scalar_and_empty")
c.input("s", torch.tensor(3.0), requires_grad=True)
c.input("e", torch.zeros(2, 0))
c.op("t0", "logsumexp", ["s"], {"dim": 0, "keepdim": False}, lambda x: torch.logsumexp(x, 0))
c.op("t1", "logsumexp", ["e"], {"dim": 1, "keepdim": False}, lambda x: torch.logsumexp(x, 1))
c.save(backward="t0")

# ---- cumsum --------------------------------------------------------------------------------------------------------
c = Case("reduce", "cumsum_both_dims_weighted")
c.input("x", torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), requires_grad=True)
c.input("w", torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
c.op("t0", "cumsum", ["x"], {"dim": 1}, lambda x: torch.cumsum(x, 1))
c.op("t1", "cumsum", ["x"], {"dim": -2}, lambda x: torch.cumsum(x, -2))
c.op("t2", "add", ["t0", "t1"], {}, lambda a, b: a + b)
c.op("t3", "mul", ["t2", "w"], {}, lambda a, b: a * b)
c.op("t4", "sum", ["t3"], {"dim": None}, torch.sum)
c.save(backward="t4")

c = Case("reduce", "cumsum_long_and_strided")
c.input("x", torch.randn(2, 500, 3), requires_grad=True)
c.input("w", torch.randn(2, 500, 3))
c.op("t0", "cumsum", ["x"], {"dim": 1}, lambda x: torch.cumsum(x, 1))
c.op("t1", "mul", ["t0", "w"], {}, lambda a, b: a * b)
c.op("t2", "sum", ["t1"], {"dim": None}, torch.sum)
c.save(backward="t2")

c = Case("reduce", "cumsum_nonfinite_scalar_empty")
c.input("x", torch.tensor([1.0, inf, -inf, 2.0, nan, 3.0]), requires_grad=True)
c.input("s", torch.tensor(-2.5), requires_grad=True)
c.input("e", torch.zeros(0, 3))
c.op("t0", "cumsum", ["x"], {"dim": 0}, lambda x: torch.cumsum(x, 0))
c.op("t1", "cumsum", ["s"], {"dim": 0}, lambda x: torch.cumsum(x, 0))
c.op("t2", "cumsum", ["e"], {"dim": 1}, lambda x: torch.cumsum(x, 1))
c.op("t3", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t4", "add", ["t3", "t1"], {}, lambda a, b: a + b)
c.save(backward="t4")

# ---- prod ----------------------------------------------------------------------------------------------------------
c = Case("reduce", "prod_dim_zeros")
c.input("x", torch.tensor([[2.0, 3.0, 4.0], [0.0, 3.0, 4.0], [0.0, 0.0, 4.0], [0.0, 0.0, 0.0], [-1.5, 0.5, 2.0]]),
        requires_grad=True)
c.op("t0", "prod", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.prod(x, 1))
c.op("t1", "sum", ["t0"], {"dim": None}, torch.sum)
c.save(backward="t1")

for name, data in [("no_zero", [[2.0, 3.0], [5.0, 0.5]]), ("one_zero", [[2.0, 0.0], [5.0, 0.5]]),
                   ("two_zeros", [[2.0, 0.0], [0.0, 0.5]])]:
    c = Case("reduce", f"prod_all_{name}")
    c.input("x", torch.tensor(data), requires_grad=True)
    c.op("t0", "prod", ["x"], {"dim": None}, torch.prod)
    c.save(backward="t0")

c = Case("reduce", "prod_strided_keepdim")
c.input("x", torch.rand(3, 4, 2) + 0.5, requires_grad=True)
c.op("t0", "prod", ["x"], {"dim": 1, "keepdim": True}, lambda x: torch.prod(x, 1, keepdim=True))
c.op("t1", "prod", ["x"], {"dim": 0, "keepdim": False}, lambda x: torch.prod(x, 0))
c.op("t2", "sum", ["t0"], {"dim": None}, torch.sum)
c.op("t3", "sum", ["t1"], {"dim": None}, torch.sum)
c.op("t4", "add", ["t2", "t3"], {}, lambda a, b: a + b)
c.save(backward="t4")

c = Case("reduce", "prod_nonfinite_with_zero")
c.input("x", torch.tensor([[2.0, nan, 0.0], [2.0, inf, 0.0]]), requires_grad=True)
c.op("t0", "prod", ["x"], {"dim": 1, "keepdim": False}, lambda x: torch.prod(x, 1))
c.op("t1", "sum", ["t0"], {"dim": None}, torch.sum)
c.save(backward="t1")

c = Case("reduce", "prod_scalar_and_empty")
c.input("s", torch.tensor(-3.0), requires_grad=True)
c.input("e", torch.zeros(2, 0))
c.op("t0", "prod", ["s"], {"dim": 0, "keepdim": False}, lambda x: torch.prod(x, 0))
c.op("t1", "prod", ["s"], {"dim": None}, torch.prod)
c.op("t2", "prod", ["e"], {"dim": 1, "keepdim": False}, lambda x: torch.prod(x, 1))
c.op("t3", "prod", ["e"], {"dim": None}, torch.prod)
c.op("t4", "add", ["t0", "t1"], {}, lambda a, b: a + b)
c.save(backward="t4")

# ---- an agent's step: normalized advantages, greedy action, log-sum-exp --------------------------------------------
c = Case("reduce", "agent_advantages_and_greedy_action")
c.input("adv", torch.randn(8), requires_grad=True)
c.input("logits", torch.randn(8, 4), requires_grad=True)
c.op("t0", "mean", ["adv"], {"dim": None}, torch.mean)
c.op("t1", "sub", ["adv", "t0"], {}, lambda a, b: a - b)
c.op("t2", "std", ["adv"], {"dim": None, "correction": 1, "keepdim": False}, lambda x: torch.std(x))
c.op("t3", "add_scalar", ["t2"], {"scalar": 1e-8}, lambda t: t + 1e-8)
c.op("t4", "div", ["t1", "t3"], {}, lambda a, b: a / b)
c.op("t5", "argmax", ["logits"], {"dim": 1, "keepdim": False}, lambda x: torch.argmax(x, 1))
c.op("t6", "logsumexp", ["logits"], {"dim": 1, "keepdim": False}, lambda x: torch.logsumexp(x, 1))
c.op("t7", "mul", ["t4", "t6"], {}, lambda a, b: a * b)
c.op("t8", "min", ["t7"], {"dim": None}, torch.min)
c.op("t9", "sum", ["t7"], {"dim": None}, torch.sum)
c.op("t10", "add", ["t8", "t9"], {}, lambda a, b: a + b)
c.save(backward="t10")
