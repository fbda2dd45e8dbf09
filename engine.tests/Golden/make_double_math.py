"""Double-backward references for the math family of issue 16 (issue 17): Golden/double/math/*.json.

Every opcode from Sin to Maximum: each unary op alone (its own second derivative), the zero-gradient ops (sign, floor,
round) alone and times their input, softplus on both sides of its threshold (never at it) with beta, elu on both sides
of 0 (never at it), both gelu forms, hardtanh inside and outside its bounds (never at them), minimum and maximum with
broadcasting (no ties), alone and in composites whose second derivative is not trivial (sin(x*y), minimum(x², y)...).
Each program records torch.autograd.grad's first gradients (create_graph=True) and the gradients of
S = sum((grad_input * v_input).sum()) (golden_ops.Case.save(double=True)). Op names: GoldenOps_Math.cs. Run from the
repository root:

    /usr/bin/python3 engine.tests/Golden/make_double_math.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_ops import Case, away_from_zero, positive, t  # noqa: E402

torch.manual_seed(1702)
FAMILY = "math"
SUM = ({"dim": None}, torch.sum)





def case(name):
    return Case(FAMILY, name, root="double")


def unary_program(name, op, attrs, fn, x, then_square=False, times_input=False, reduce=False):
    """y = op(x), then y*y (then_square) or y*x (times_input), then the sum (reduce)."""
    c = case(name)
    c.input("x", x, requires_grad=True)
    c.op("y", op, ["x"], attrs, fn)
    last = "y"
    if then_square:
        c.op("q", "square", ["y"], {}, torch.square)
        last = "q"
    if times_input:
        c.op("m", "mul", ["y", "x"], {}, torch.mul)
        last = "m"
    if reduce:
        c.op("s", "sum", [last], *SUM)
        last = "s"
    c.save(backward=last, double=True)


def softplus(beta, threshold):
    return {"beta": beta, "threshold": threshold}, lambda v: F.softplus(v, beta=beta, threshold=threshold)


# ---- sin, cos, log1p, expm1, erf, rsqrt, reciprocal: each alone
unary_program("sin_rank2", "sin", {}, torch.sin, torch.randn(2, 3) * 2)
unary_program("cos_rank3_sum", "cos", {}, torch.cos, torch.randn(2, 2, 2) * 2, reduce=True)
unary_program("log1p_rank1", "log1p", {}, torch.log1p, torch.rand(5) * 3 - 0.6)
unary_program("expm1_rank2", "expm1", {}, torch.expm1, torch.randn(2, 3))
unary_program("erf_rank2", "erf", {}, torch.erf, torch.randn(3, 2) * 1.2)
unary_program("rsqrt_rank1", "rsqrt", {}, torch.rsqrt, positive(5))
unary_program("reciprocal_rank2", "reciprocal", {}, torch.reciprocal, away_from_zero(2, 3, low=0.5))

# ---- sign, floor, round: zero first gradients (S needs no grad), and times their input
unary_program("sign_plain", "sign", {}, torch.sign, away_from_zero(4))
unary_program("sign_times_input", "sign", {}, torch.sign, away_from_zero(2, 3), times_input=True)
unary_program("floor_times_input", "floor", {}, torch.floor, t([-1.7, -0.2, 0.4, 1.3, 2.6]), times_input=True)
unary_program("round_times_input_sum", "round", {}, torch.round, t([-2.2, -0.7, 0.3, 1.8, 3.1, -3.4]), times_input=True,
              reduce=True)
unary_program("round_plain", "round", {}, torch.round, t([0.2, 1.7, -1.3]))

# ---- softplus: default, beta and a threshold some inputs pass (none at it)
attrs, fn = softplus(1.0, 20.0)
unary_program("softplus_default", "softplus", attrs, fn, torch.randn(3, 4) * 3)
attrs, fn = softplus(2.0, 5.0)
unary_program("softplus_beta_threshold", "softplus", attrs, fn, t([-3.0, -1.0, 0.0, 1.0, 2.4, 2.6, 3.5, 10.0]))
attrs, fn = softplus(0.5, 1.0)
unary_program("softplus_threshold_square", "softplus", attrs, fn, t([-2.0, 0.5, 1.5, 2.5, 4.0]), then_square=True)

# ---- elu: alpha 1 and 0.5 on both sides of 0
unary_program("elu_default", "elu", {"alpha": 1.0}, lambda v: F.elu(v, alpha=1.0), away_from_zero(2, 4))
unary_program("elu_alpha_square_sum", "elu", {"alpha": 0.5}, lambda v: F.elu(v, alpha=0.5), away_from_zero(6) * 2,
              then_square=True, reduce=True)

# ---- large inputs: exp(x) and exp(x*beta) overflow on the side the rule drops; PyTorch's second derivatives stay finite
unary_program("elu_large_inputs_square", "elu", {"alpha": 1.0}, lambda v: F.elu(v, alpha=1.0),
              t([-3.0, -0.5, 0.5, 95.0, 100.0, 200.0]), then_square=True)
attrs, fn = softplus(1.0, 20.0)
unary_program("softplus_large_inputs_square", "softplus", attrs, fn, t([-100.0, -5.0, 3.0, 50.0, 100.0, 200.0]),
              then_square=True)
attrs, fn = softplus(1.0, 100.0)
unary_program("softplus_high_threshold", "softplus", attrs, fn, t([-3.0, 0.5, 40.0, 85.0]))

# ---- gelu both forms, silu, mish
unary_program("gelu_exact", "gelu", {"approximate": "none"}, lambda v: F.gelu(v, approximate="none"), torch.randn(3, 4) * 2)
unary_program("gelu_tanh", "gelu", {"approximate": "tanh"}, lambda v: F.gelu(v, approximate="tanh"), torch.randn(2, 3, 2) * 2)
unary_program("gelu_exact_square", "gelu", {"approximate": "none"}, lambda v: F.gelu(v, approximate="none"),
              torch.randn(5) * 1.5, then_square=True)
unary_program("silu_rank2", "silu", {}, F.silu, torch.randn(2, 5) * 2)
unary_program("mish_rank2", "mish", {}, F.mish, torch.randn(3, 3) * 2)
unary_program("mish_times_input_sum", "mish", {}, F.mish, torch.randn(4) * 2, times_input=True, reduce=True)

# ---- hardtanh: the mask only (alone its first gradient would be a mask times a constant), so in composites
unary_program("hardtanh_square", "hardtanh", {"min_val": -1.0, "max_val": 1.0}, lambda v: F.hardtanh(v, -1.0, 1.0),
              t([-2.0, -0.9, -0.3, 0.2, 0.8, 1.5]), then_square=True)
unary_program("hardtanh_custom_times_input", "hardtanh", {"min_val": -0.5, "max_val": 2.0},
              lambda v: F.hardtanh(v, -0.5, 2.0), t([-1.0, -0.4, 0.7, 1.9, 2.5]), times_input=True)

# ---- minimum, maximum: alone (constant first gradients), with broadcasting, and in composites
for op, fn in (("minimum", torch.minimum), ("maximum", torch.maximum)):
    c = case(f"{op}_plain")
    c.input("a", torch.randn(2, 3), requires_grad=True)
    c.input("b", torch.randn(2, 3), requires_grad=True)
    c.op("y", op, ["a", "b"], {}, fn)
    c.save(backward="y", double=True)

    c = case(f"{op}_of_square_broadcast")               # op(x², y) * x, y [3] broadcast over x [4,3]
    c.input("x", torch.randn(4, 3), requires_grad=True)
    c.input("y", torch.rand(3) * 1.5, requires_grad=True)
    c.op("q", "square", ["x"], {}, torch.square)
    c.op("m", op, ["q", "y"], {}, fn)
    c.op("z", "mul", ["m", "x"], {}, torch.mul)
    c.op("s", "sum", ["z"], *SUM)
    c.save(backward="s", double=True)

    c = case(f"{op}_both_broadcast_exp")                # exp(op(a, b)), a [2,1,3], b [4,1]
    c.input("a", torch.randn(2, 1, 3), requires_grad=True)
    c.input("b", torch.randn(4, 1), requires_grad=True)
    c.op("m", op, ["a", "b"], {}, fn)
    c.op("y", "exp", ["m"], {}, torch.exp)
    c.save(backward="y", double=True)

c = case("maximum_one_side_grad_square")                # maximum(a, w)², w constant
c.input("a", torch.randn(2, 3), requires_grad=True)
c.input("w", t([0.05, 0.15, -0.25]))
c.op("m", "maximum", ["a", "w"], {}, torch.maximum)
c.op("q", "square", ["m"], {}, torch.square)
c.save(backward="q", double=True)

# ---- composites
c = case("sin_of_product")                              # sin(x*y) + cos(x)*y
c.input("x", torch.randn(2, 3), requires_grad=True)
c.input("y", torch.randn(2, 3), requires_grad=True)
c.op("p", "mul", ["x", "y"], {}, torch.mul)
c.op("s1", "sin", ["p"], {}, torch.sin)
c.op("c", "cos", ["x"], {}, torch.cos)
c.op("c2", "mul", ["c", "y"], {}, torch.mul)
c.op("z", "add", ["s1", "c2"], {}, torch.add)
c.save(backward="z", double=True)

c = case("erf_log1p_chain")                             # erf(log1p(x²)) * rsqrt(1 + x²)
c.input("x", torch.randn(5), requires_grad=True)
c.op("q", "square", ["x"], {}, torch.square)
c.op("l", "log1p", ["q"], {}, torch.log1p)
c.op("e", "erf", ["l"], {}, torch.erf)
c.op("u", "add_scalar", ["q"], {"scalar": 1.0}, lambda v: v + 1.0)
c.op("r", "rsqrt", ["u"], {}, torch.rsqrt)
c.op("y", "mul", ["e", "r"], {}, torch.mul)
c.save(backward="y", double=True)

c = case("reciprocal_expm1_product")                    # reciprocal(expm1(x*y) + 2) with y broadcast
c.input("x", torch.randn(3, 2), requires_grad=True)
c.input("y", torch.randn(2), requires_grad=True)
c.op("p", "mul", ["x", "y"], {}, torch.mul)
c.op("e", "expm1", ["p"], {}, torch.expm1)
c.op("a", "add_scalar", ["e"], {"scalar": 2.0}, lambda v: v + 2.0)
c.op("r", "reciprocal", ["a"], {}, torch.reciprocal)
c.save(backward="r", double=True)

c = case("silu_softplus_gelu_chain")                    # silu(x) * softplus(y) + gelu_tanh(x*y)
c.input("x", torch.randn(2, 3), requires_grad=True)
c.input("y", torch.randn(2, 3), requires_grad=True)
c.op("a", "silu", ["x"], {}, F.silu)
c.op("b", "softplus", ["y"], {"beta": 1.0, "threshold": 20.0}, F.softplus)
c.op("ab", "mul", ["a", "b"], {}, torch.mul)
c.op("p", "mul", ["x", "y"], {}, torch.mul)
c.op("g", "gelu", ["p"], {"approximate": "tanh"}, lambda v: F.gelu(v, approximate="tanh"))
c.op("z", "add", ["ab", "g"], {}, torch.add)
c.op("s", "sum", ["z"], *SUM)
c.save(backward="s", double=True)

c = case("elu_hardtanh_of_product")                     # elu(x*y) * hardtanh(x)
c.input("x", t([[-1.6, -0.6, 0.4], [0.8, 1.7, -0.35]]), requires_grad=True)
c.input("y", t([[0.9, -1.2, 1.1], [-0.7, 0.5, 1.3]]), requires_grad=True)
c.op("p", "mul", ["x", "y"], {}, torch.mul)
c.op("e", "elu", ["p"], {"alpha": 1.0}, lambda v: F.elu(v, alpha=1.0))
c.op("h", "hardtanh", ["x"], {"min_val": -1.0, "max_val": 1.0}, lambda v: F.hardtanh(v, -1.0, 1.0))
c.op("z", "mul", ["e", "h"], {}, torch.mul)
c.save(backward="z", double=True)
