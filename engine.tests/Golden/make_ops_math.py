"""Golden programs for the elementwise math family (issue 16): Golden/ops/math/*.json.

Every op of the family forward and backward, ranks 0-4, empty dims, broadcasting minimum/maximum with ties and NaN,
and the edge values (NaN, +-inf, +-0, ties, hardtanh bounds, the softplus threshold, large |x| for sin and cos).
Op names are mapped in Golden/GoldenOps_Math.cs. Run with Debian's PyTorch from the repository root:

    /usr/bin/python3 engine.tests/Golden/make_ops_math.py
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_ops import Case  # noqa: E402

torch.manual_seed(16)
NAN, INF = float("nan"), float("inf")


def t(values):
    return torch.tensor(values, dtype=torch.float32)


UNARY = {
    "sin": ({}, torch.sin),
    "cos": ({}, torch.cos),
    "log1p": ({}, torch.log1p),
    "expm1": ({}, torch.expm1),
    "erf": ({}, torch.erf),
    "rsqrt": ({}, torch.rsqrt),
    "reciprocal": ({}, torch.reciprocal),
    "sign": ({}, torch.sign),
    "floor": ({}, torch.floor),
    "round": ({}, torch.round),
    "silu": ({}, F.silu),
    "mish": ({}, F.mish),
}


def unary(name, op, x, attrs=None, reduce=False):
    """y = op(x); backward from y itself (a gradient of ones), or from y.sum() when reduce."""
    c = Case("math", name)
    c.input("x", x, requires_grad=True)
    attrs = dict(UNARY[op][0] if attrs is None else attrs)
    fn = UNARY[op][1] if op in UNARY else None
    if op == "softplus":
        fn = lambda v: F.softplus(v, beta=attrs["beta"], threshold=attrs["threshold"])
    elif op == "elu":
        fn = lambda v: F.elu(v, alpha=attrs["alpha"])
    elif op == "gelu":
        fn = lambda v: F.gelu(v, approximate=attrs["approximate"])
    elif op == "hardtanh":
        fn = lambda v: F.hardtanh(v, min_val=attrs["min_val"], max_val=attrs["max_val"])
    c.op("y", op, ["x"], attrs, fn)
    if reduce:
        c.op("s", "sum", ["y"], {"dim": None}, torch.sum)
    c.save(backward="s" if reduce else "y")


def binary(name, op, a, b, a_grad=True, b_grad=True):
    c = Case("math", name)
    c.input("a", a, requires_grad=a_grad)
    c.input("b", b, requires_grad=b_grad)
    c.op("y", op, ["a", "b"], {}, torch.minimum if op == "minimum" else torch.maximum)
    c.save(backward="y")


EDGES = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-7, -1e-7, 30.0, -30.0]

# ---- sin, cos: moderate values, ranks 0-4, large |x| (both of the engine's reductions: Cody-Waite below 12867, exact
# above), and a long row that mixes both in one vector
LARGE = [100.0, -1000.0, 5000.5, 8000.25, -12000.0, 12866.0, 12867.0, 3.14159265, 1.5707964, 10000.0, -355.0, 1e-30, -0.0,
         1e6, -3.5e7, 1e10, 1e22, -3.4e38, 16777216.0, 4194305.0, 102943.7, 7.1e15]
unary("sin_rank2", "sin", torch.randn(3, 4) * 3)
unary("sin_large_arguments", "sin", t(LARGE))
unary("sin_edges", "sin", t(EDGES))
unary("sin_rank0_sum", "sin", t(0.75), reduce=True)
unary("sin_empty", "sin", torch.randn(2, 0, 3), reduce=True)
unary("cos_rank4", "cos", torch.randn(2, 1, 3, 2) * 3)
unary("cos_large_arguments", "cos", t(LARGE))
unary("cos_edges", "cos", t(EDGES))
unary("sin_cos_mixed_row", "sin", torch.cat([torch.randn(20) * 4, t(LARGE)]).reshape(6, 7))
unary("cos_mixed_row", "cos", torch.cat([torch.randn(20) * 4, t(LARGE)]).reshape(2, 21))

# ---- log1p, expm1, erf
unary("log1p_rank2", "log1p", torch.rand(3, 3) * 5 - 0.9)
unary("log1p_edges", "log1p", t([-1.0, -0.5, 0.0, -0.0, 1e-8, -1e-8, 1e30, INF, NAN, -2.0, -INF, 0.015352542]))
unary("expm1_rank3", "expm1", torch.randn(2, 2, 3) * 2)
unary("expm1_edges", "expm1", t([0.0, -0.0, 1e-7, -1e-7, 1e-3, 0.34658465, 88.0, 88.7228, 89.0, -17.5, -20.0, -100.0, INF, -INF, NAN]))
unary("erf_rank4", "erf", torch.randn(1, 2, 2, 3))
unary("erf_edges", "erf", t([0.0, -0.0, 0.5, 0.9750516, 1.0, -1.0, 1.5, 2.0, -2.0, 3.9, 4.0, 10.0, INF, -INF, NAN, 1e-20]))

# ---- rsqrt, reciprocal
unary("rsqrt_rank2", "rsqrt", torch.rand(2, 4) * 4 + 0.1)
unary("rsqrt_edges", "rsqrt", t([0.0, -0.0, 1.0, 4.0, 1e-30, 1e30, INF, -1.0, NAN]))
unary("reciprocal_rank1", "reciprocal", torch.randn(5) * 2)
unary("reciprocal_edges", "reciprocal", t([0.0, -0.0, INF, -INF, NAN, 1e-30, -3.0, 1e38]))

# ---- sign, floor, round: zero gradients
unary("sign_edges", "sign", t(EDGES))
unary("floor_edges", "floor", t(EDGES + [-0.3, 0.7, 8388607.5, -8388609.0, 1e30, -1e-30]))
unary("round_half_to_even", "round", t([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, -0.4, 8388607.5, 8388609.0, 1e30, NAN, INF, -INF, -0.0]))
unary("round_rank3_sum", "round", torch.randn(2, 3, 2) * 4, reduce=True)

# ---- softplus
unary("softplus_default", "softplus", torch.randn(3, 4) * 5, {"beta": 1.0, "threshold": 20.0})
unary("softplus_at_threshold", "softplus", t([20.0, 20.000002, 19.999998, 50.0, -50.0, -100.0, -200.0, 0.0, INF, -INF, NAN]),
      {"beta": 1.0, "threshold": 20.0})
unary("softplus_beta_threshold", "softplus", t([2.5, 2.6, 2.4, 10.0, -3.0, 0.0, -30.0]), {"beta": 2.0, "threshold": 5.0})
unary("softplus_rank0", "softplus", t(-0.4), {"beta": 0.5, "threshold": 3.0})

# ---- elu
unary("elu_default_edges", "elu", t(EDGES + [-5.0, -20.0]), {"alpha": 1.0})
unary("elu_alpha_rank2", "elu", torch.randn(3, 3) * 2, {"alpha": 0.5})
unary("elu_alpha_large", "elu", torch.randn(4) * 2, {"alpha": 2.5}, reduce=True)

# ---- gelu (both forms), silu, mish
unary("gelu_exact_rank2", "gelu", torch.randn(3, 4) * 3, {"approximate": "none"})
unary("gelu_exact_edges", "gelu", t([-10.0, -5.0, -3.0, 0.0, -0.0, 3.0, 5.0, 10.0, 1e-6, NAN]), {"approximate": "none"})
unary("gelu_tanh_rank3", "gelu", torch.randn(2, 3, 2) * 3, {"approximate": "tanh"})
unary("gelu_tanh_edges", "gelu", t([-10.0, -5.0, 0.0, -0.0, 5.0, 10.0, 1e-6, NAN]), {"approximate": "tanh"})
unary("silu_edges", "silu", t(EDGES + [-100.0, 100.0, -20.0]))
unary("silu_rank2", "silu", torch.randn(2, 5) * 3)
unary("mish_rank3", "mish", torch.randn(2, 2, 2) * 3)
unary("mish_edges", "mish", t([0.0, -0.0, 1.0, -1.0, 5.0, -5.0, 20.0, -20.0, 100.0, -100.0, NAN]))

# ---- hardtanh: the gradient only strictly inside (min, max)
unary("hardtanh_at_bounds", "hardtanh", t([-1.0, 1.0, -1.0000001, 0.99999994, -2.0, 2.0, 0.0, -0.0, 0.3, INF, -INF, NAN]),
      {"min_val": -1.0, "max_val": 1.0})
unary("hardtanh_custom", "hardtanh", t([-0.5, 2.0, -0.6, 1.9, 3.0, 0.0]), {"min_val": -0.5, "max_val": 2.0})
unary("hardtanh_rank4_sum", "hardtanh", torch.randn(1, 2, 3, 2) * 2, {"min_val": -0.7, "max_val": 1.3}, reduce=True)

# ---- minimum, maximum: ties share the gradient, NaN propagates (both sides get the full gradient)
A = t([1.0, NAN, 2.0, 3.0, -1.0, NAN, 0.5, INF])
B = t([1.0, 1.0, NAN, 2.0, 4.0, NAN, 0.5, INF])
binary("minimum_ties_nan", "minimum", A, B)
binary("maximum_ties_nan", "maximum", A, B)
binary("minimum_broadcast", "minimum", t([[[1.0, 2.0, 3.0]], [[0.0, -1.0, 5.0]]]), t([[1.0], [2.0], [0.0], [-1.0]]))
binary("maximum_broadcast", "maximum", t([[[1.0, 2.0, 3.0]], [[0.0, -1.0, 5.0]]]), t([[1.0], [2.0], [0.0], [-1.0]]))
binary("maximum_scalar_tie", "maximum", t(2.0), t([[2.0, 1.0], [3.0, 2.0], [NAN, -2.0]]))
binary("minimum_rank0", "minimum", t(0.25), t(-0.75))
binary("maximum_one_side_grad", "maximum", torch.randn(2, 3), t([0.0, 0.1, -0.1]), b_grad=False)
binary("minimum_empty", "minimum", torch.randn(0, 3), torch.randn(3))
binary("maximum_rank4", "maximum", torch.randn(2, 1, 2, 3), torch.randn(1, 3, 1, 3))

# ---- a composite: gelu -> softplus -> minimum with a reused input -> sum
c = Case("math", "chain_gelu_softplus_minimum")
x = c.input("x", torch.randn(3, 4), requires_grad=True)
c.op("g", "gelu", ["x"], {"approximate": "none"}, F.gelu)
c.op("p", "softplus", ["g"], {"beta": 1.0, "threshold": 20.0}, F.softplus)
c.op("m", "minimum", ["p", "x"], {}, torch.minimum)
c.op("s", "sum", ["m"], {"dim": None}, torch.sum)
c.save(backward="s")
