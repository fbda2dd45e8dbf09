"""Double-backward references for the first elementwise families (issue 17): Golden/double/elementwise/*.json.

Every opcode from Add to Clamp: the binary ones with broadcasting (one side, both sides, one operand not requiring
grad), the scalar-operand forms (a+s, a-s, s-a, a*s, a/s, s/a), every unary op, and composites whose second
derivative is not trivial (tanh(x*y), x.pow(3), a/b with both requiring grad, relu/leaky_relu/clamp feeding a square).
Inputs stay away from kinks (0 for relu, abs, leaky_relu; clamp's bounds) and from the zeros of denominators.
Each program records torch.autograd.grad's first gradients (create_graph=True) and the gradients of
S = sum((grad_input * v_input).sum()) (golden_ops.Case.save(double=True)). Op names: GoldenProgramRunner.cs and
GoldenOps_Elementwise.cs (sub_scalar, rsub_scalar, div_scalar, rdiv_scalar). Run from the repository root:

    /usr/bin/python3 engine.tests/Golden/make_double_elementwise.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_ops  # noqa: E402
from golden_ops import Case, away_from_zero, positive, t  # noqa: E402

# abs's second derivative is sgn's, a ZeroTensor (no storage) that tolist() refuses: write it as the zeros it is
_values = golden_ops._values
golden_ops._values = lambda v: _values(torch.zeros(v.shape, dtype=v.dtype) if v._is_zerotensor() else v)

torch.manual_seed(1701)
FAMILY = "elementwise"





def case(name):
    return Case(FAMILY, name, root="double")


SUM = ({"dim": None}, torch.sum)


def unary_program(name, op, attrs, fn, x, then_square=False, reduce=False):
    """y = op(x) (then y*y when then_square, then y.sum() when reduce)."""
    c = case(name)
    c.input("x", x, requires_grad=True)
    c.op("y", op, ["x"], attrs, fn)
    last = "y"
    if then_square:
        c.op("q", "square", ["y"], {}, torch.square)
        last = "q"
    if reduce:
        c.op("s", "sum", [last], *SUM)
        last = "s"
    c.save(backward=last, double=True)


# ---- add, sub, mul, div with broadcasting
c = case("add_plain")                                  # linear: the first gradients are constants (S needs no grad)
c.input("a", torch.randn(2, 3), requires_grad=True)
c.input("b", torch.randn(2, 3), requires_grad=True)
c.op("y", "add", ["a", "b"], {}, torch.add)
c.save(backward="y", double=True)

c = case("add_broadcast_square")                       # (a + b)², b [3] broadcast over a's rows
c.input("a", torch.randn(2, 3), requires_grad=True)
c.input("b", torch.randn(3), requires_grad=True)
c.op("y", "add", ["a", "b"], {}, torch.add)
c.op("q", "square", ["y"], {}, torch.square)
c.op("s", "sum", ["q"], *SUM)
c.save(backward="s", double=True)

c = case("sub_broadcast_both_times_a")                 # (a - b) * a, a [2,1,3] and b [4,1] both broadcast
c.input("a", torch.randn(2, 1, 3), requires_grad=True)
c.input("b", torch.randn(4, 1), requires_grad=True)
c.op("d", "sub", ["a", "b"], {}, torch.sub)
c.op("y", "mul", ["d", "a"], {}, torch.mul)
c.save(backward="y", double=True)

c = case("mul_broadcast_both")                         # a [3,1] * b [1,4]: the cross second derivative
c.input("a", torch.randn(3, 1), requires_grad=True)
c.input("b", torch.randn(1, 4), requires_grad=True)
c.op("y", "mul", ["a", "b"], {}, torch.mul)
c.save(backward="y", double=True)

c = case("mul_same_input")                             # x * x: both operands one tensor
c.input("x", torch.randn(5), requires_grad=True)
c.op("y", "mul", ["x", "x"], {}, torch.mul)
c.op("s", "sum", ["y"], *SUM)
c.save(backward="s", double=True)

c = case("mul_one_side_grad_square")                   # (a * w)², w constant and broadcast
c.input("a", torch.randn(2, 3), requires_grad=True)
c.input("w", torch.randn(3))
c.op("y", "mul", ["a", "w"], {}, torch.mul)
c.op("q", "square", ["y"], {}, torch.square)
c.save(backward="q", double=True)

c = case("div_both_grad")                              # a / b, both requiring grad
c.input("a", torch.randn(2, 3), requires_grad=True)
c.input("b", away_from_zero(2, 3, low=0.5), requires_grad=True)
c.op("y", "div", ["a", "b"], {}, torch.div)
c.save(backward="y", double=True)

c = case("div_broadcast_both_grad")                    # a [2,3] / b [3], b broadcast, then summed
c.input("a", torch.randn(2, 3), requires_grad=True)
c.input("b", away_from_zero(3, low=0.5), requires_grad=True)
c.op("y", "div", ["a", "b"], {}, torch.div)
c.op("s", "sum", ["y"], *SUM)
c.save(backward="s", double=True)

c = case("div_denominator_only")                       # a / b, a constant [4,1], b [3] requiring grad
c.input("a", torch.randn(4, 1))
c.input("b", away_from_zero(3, low=0.5), requires_grad=True)
c.op("y", "div", ["a", "b"], {}, torch.div)
c.save(backward="y", double=True)

c = case("div_numerator_squared")                      # (a / b)², only a requiring grad
c.input("a", torch.randn(2, 2), requires_grad=True)
c.input("b", away_from_zero(2, 2, low=0.5))
c.op("y", "div", ["a", "b"], {}, torch.div)
c.op("q", "square", ["y"], {}, torch.square)
c.save(backward="q", double=True)

# ---- the scalar forms: each alone (a constant first gradient) and in a composite
unary_program("add_scalar_square", "add_scalar", {"scalar": 0.5}, lambda x: x + 0.5, torch.randn(2, 3), then_square=True)
unary_program("add_scalar_plain", "add_scalar", {"scalar": -1.25}, lambda x: x + -1.25, torch.randn(4))
unary_program("sub_scalar_square", "sub_scalar", {"scalar": 1.5}, lambda x: x - 1.5, torch.randn(3, 2), then_square=True)
unary_program("sub_scalar_plain", "sub_scalar", {"scalar": 0.75}, lambda x: x - 0.75, torch.randn(3))
unary_program("rsub_scalar_square", "rsub_scalar", {"scalar": 2.0}, lambda x: 2.0 - x, torch.randn(2, 2), then_square=True,
              reduce=True)
unary_program("rsub_scalar_plain", "rsub_scalar", {"scalar": -0.5}, lambda x: -0.5 - x, torch.randn(3))
unary_program("mul_scalar_square", "mul_scalar", {"scalar": -3.0}, lambda x: x * -3.0, torch.randn(2, 3), then_square=True)
unary_program("mul_scalar_plain", "mul_scalar", {"scalar": 0.25}, lambda x: x * 0.25, torch.randn(4))
unary_program("div_scalar_square", "div_scalar", {"scalar": 4.0}, lambda x: x / 4.0, torch.randn(3, 2), then_square=True)
unary_program("div_scalar_plain", "div_scalar", {"scalar": -2.0}, lambda x: x / -2.0, torch.randn(3))
unary_program("rdiv_scalar", "rdiv_scalar", {"scalar": 3.0}, lambda x: 3.0 / x, away_from_zero(2, 3, low=0.5))
unary_program("rdiv_scalar_negative_sum", "rdiv_scalar", {"scalar": -1.5}, lambda x: -1.5 / x, away_from_zero(5, low=0.5),
              reduce=True)

c = case("mul_scalar_into_sigmoid")                    # sigmoid(-2x)
c.input("x", torch.randn(2, 3), requires_grad=True)
c.op("m", "mul_scalar", ["x"], {"scalar": -2.0}, lambda x: x * -2.0)
c.op("y", "sigmoid", ["m"], {}, torch.sigmoid)
c.save(backward="y", double=True)

c = case("div_scalar_into_tanh")                       # tanh(x / 4)
c.input("x", torch.randn(3, 2) * 2, requires_grad=True)
c.op("m", "div_scalar", ["x"], {"scalar": 4.0}, lambda x: x / 4.0)
c.op("y", "tanh", ["m"], {}, torch.tanh)
c.save(backward="y", double=True)

# ---- unary
unary_program("neg_plain", "neg", {}, torch.neg, torch.randn(3))
c = case("neg_into_exp")                               # exp(-x)
c.input("x", torch.randn(2, 3), requires_grad=True)
c.op("n", "neg", ["x"], {}, torch.neg)
c.op("y", "exp", ["n"], {}, torch.exp)
c.save(backward="y", double=True)

unary_program("exp_rank2", "exp", {}, torch.exp, torch.randn(2, 3))
unary_program("log_rank2", "log", {}, torch.log, positive(2, 3))
unary_program("tanh_rank2", "tanh", {}, torch.tanh, torch.randn(3, 3) * 1.5)
unary_program("sigmoid_rank3_sum", "sigmoid", {}, torch.sigmoid, torch.randn(2, 2, 3) * 2, reduce=True)
unary_program("sqrt_rank1", "sqrt", {}, torch.sqrt, positive(5))
unary_program("abs_plain", "abs", {}, torch.abs, away_from_zero(2, 3))                  # second derivative zero
unary_program("abs_square", "abs", {}, torch.abs, away_from_zero(4), then_square=True)
unary_program("square_rank2", "square", {}, torch.square, torch.randn(2, 3))
unary_program("relu_square", "relu", {}, torch.relu, away_from_zero(3, 3), then_square=True)
unary_program("leaky_relu_square", "leaky_relu", {"slope": 0.1}, lambda x: F.leaky_relu(x, 0.1), away_from_zero(2, 4),
              then_square=True)
unary_program("clamp_square", "clamp", {"min": -0.8, "max": 0.9}, lambda x: torch.clamp(x, -0.8, 0.9),
              t([-1.5, -0.5, 0.0, 0.3, 0.6, 1.2, -0.1, 2.0]), then_square=True)
unary_program("clamp_plain", "clamp", {"min": -0.5, "max": 0.5}, lambda x: torch.clamp(x, -0.5, 0.5),
              t([-1.0, -0.25, 0.1, 0.4, 0.75]))   # a mask times a constant: S needs no grad, as in PyTorch

# ---- pow: integer, fractional, negative exponents, negative bases with integer exponents, e = 1 and e = 0
unary_program("pow_3_negative_bases", "pow", {"exponent": 3.0}, lambda x: x.pow(3.0), torch.randn(2, 3))
unary_program("pow_2_5", "pow", {"exponent": 2.5}, lambda x: x.pow(2.5), positive(4))
unary_program("pow_minus_1_5", "pow", {"exponent": -1.5}, lambda x: x.pow(-1.5), positive(2, 2))
unary_program("pow_half_sum", "pow", {"exponent": 0.5}, lambda x: x.pow(0.5), positive(5), reduce=True)
unary_program("pow_minus_2", "pow", {"exponent": -2.0}, lambda x: x.pow(-2.0), away_from_zero(3, low=0.5))
unary_program("pow_4", "pow", {"exponent": 4.0}, lambda x: x.pow(4.0), torch.randn(3))
unary_program("pow_1", "pow", {"exponent": 1.0}, lambda x: x.pow(1.0), torch.randn(3))
unary_program("pow_0", "pow", {"exponent": 0.0}, lambda x: x.pow(0.0), torch.randn(3))

# ---- composites
c = case("tanh_of_product")                            # tanh(x*y): mixed second derivatives
c.input("x", torch.randn(2, 3), requires_grad=True)
c.input("y", torch.randn(2, 3), requires_grad=True)
c.op("p", "mul", ["x", "y"], {}, torch.mul)
c.op("z", "tanh", ["p"], {}, torch.tanh)
c.save(backward="z", double=True)

c = case("tanh_of_product_broadcast_sum")              # tanh(x*y) with y [3] broadcast, summed
c.input("x", torch.randn(4, 3), requires_grad=True)
c.input("y", torch.randn(3), requires_grad=True)
c.op("p", "mul", ["x", "y"], {}, torch.mul)
c.op("z", "tanh", ["p"], {}, torch.tanh)
c.op("s", "sum", ["z"], *SUM)
c.save(backward="s", double=True)

c = case("log_of_quotient")                            # log(a / b) + a*b, both positive and requiring grad
c.input("a", positive(2, 3), requires_grad=True)
c.input("b", positive(2, 3), requires_grad=True)
c.op("q", "div", ["a", "b"], {}, torch.div)
c.op("l", "log", ["q"], {}, torch.log)
c.op("m", "mul", ["a", "b"], {}, torch.mul)
c.op("y", "add", ["l", "m"], {}, torch.add)
c.save(backward="y", double=True)

c = case("sigmoid_sqrt_chain")                         # sigmoid(sqrt(x) - 1) * exp(-x)
c.input("x", positive(5), requires_grad=True)
c.op("r", "sqrt", ["x"], {}, torch.sqrt)
c.op("d", "sub_scalar", ["r"], {"scalar": 1.0}, lambda v: v - 1.0)
c.op("g", "sigmoid", ["d"], {}, torch.sigmoid)
c.op("n", "neg", ["x"], {}, torch.neg)
c.op("e", "exp", ["n"], {}, torch.exp)
c.op("y", "mul", ["g", "e"], {}, torch.mul)
c.save(backward="y", double=True)

c = case("relu_leaky_abs_chain")                       # relu(x)*y + leaky_relu(x*y)*abs(y)
c.input("x", away_from_zero(2, 3), requires_grad=True)
c.input("y", away_from_zero(2, 3), requires_grad=True)
c.op("r", "relu", ["x"], {}, torch.relu)
c.op("a", "mul", ["r", "y"], {}, torch.mul)
c.op("p", "mul", ["x", "y"], {}, torch.mul)
c.op("l", "leaky_relu", ["p"], {"slope": 0.2}, lambda v: F.leaky_relu(v, 0.2))
c.op("b", "abs", ["y"], {}, torch.abs)
c.op("c", "mul", ["l", "b"], {}, torch.mul)
c.op("z", "add", ["a", "c"], {}, torch.add)
c.op("s", "sum", ["z"], *SUM)
c.save(backward="s", double=True)

c = case("clamp_times_input")                          # clamp(x) * x: the clamp mask in the second derivative
c.input("x", t([-2.0, -0.6, 0.2, 0.7, 1.4, 3.0]), requires_grad=True)
c.op("k", "clamp", ["x"], {"min": -1.0, "max": 1.0}, lambda v: torch.clamp(v, -1.0, 1.0))
c.op("y", "mul", ["k", "x"], {}, torch.mul)
c.save(backward="y", double=True)

c = case("rdiv_rsub_chain")                            # (1 - 2/x) * x²
c.input("x", away_from_zero(4, low=0.6), requires_grad=True)
c.op("r", "rdiv_scalar", ["x"], {"scalar": 2.0}, lambda v: 2.0 / v)
c.op("o", "rsub_scalar", ["r"], {"scalar": 1.0}, lambda v: 1.0 - v)
c.op("q", "square", ["x"], {}, torch.square)
c.op("y", "mul", ["o", "q"], {}, torch.mul)
c.save(backward="y", double=True)

c = case("pow_3_of_difference_broadcast")              # (a - b).pow(3), b [2,1] broadcast
c.input("a", torch.randn(2, 3), requires_grad=True)
c.input("b", torch.randn(2, 1), requires_grad=True)
c.op("d", "sub", ["a", "b"], {}, torch.sub)
c.op("y", "pow", ["d"], {"exponent": 3.0}, lambda v: v.pow(3.0))
c.op("s", "sum", ["y"], *SUM)
c.save(backward="s", double=True)
