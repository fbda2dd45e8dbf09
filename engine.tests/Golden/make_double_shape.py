"""Golden/double/shape: second derivatives through the shape ops (reshape, transpose, cat, narrow/slice, select,
permute, unsqueeze, squeeze, expand, flatten, repeat, stack, split, split with sizes, chunk) against PyTorch 1.13.
Each program composes the op with a nonlinearity (tanh, sigmoid, a square of a weighted result), so the second
derivatives are not zero and a misplaced element in the adjoint or in its own backward shows. See golden_ops.py for
what a double program records.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_double_shape.py
"""
import torch

from golden_ops import Case

torch.manual_seed(20261217)


def randn(*shape):
    return 0.8 * torch.randn(tuple(shape))


def tanh_sum(c, name, tag):
    """tanh(name).sum(); the root's name."""
    c.op("th" + tag, "tanh", [name], {}, torch.tanh)
    c.op("r" + tag, "sum", ["th" + tag], {"dim": None}, torch.sum)
    return "r" + tag


def weighted_square_sum(c, name, tag):
    """(name * w).pow(2).sum() with w a fresh input that requires grad; the root's name."""
    w = "w" + tag
    c.input(w, randn(*c.tensors[name].shape), requires_grad=True)
    c.op("m" + tag, "mul", [name, w], {}, lambda a, b: a * b)
    c.op("p" + tag, "pow", ["m" + tag], {"exponent": 2.0}, lambda a: a ** 2.0)
    c.op("r" + tag, "sum", ["p" + tag], {"dim": None}, torch.sum)
    return "r" + tag


def add_all(c, roots):
    total = roots[0]
    for k, r in enumerate(roots[1:]):
        c.op("total%d" % k, "add", [total, r], {}, lambda a, b: a + b)
        total = "total%d" % k
    return total


def one_input(name, shape, steps, finish):
    """x of shape; each step (out, op, attrs, fn) applied to x and finished by finish(c, out, tag); the sum saved."""
    c = Case("shape", name, root="double")
    c.input("x", randn(*shape), requires_grad=True)
    roots = []
    for k, (out, op, attrs, fn) in enumerate(steps):
        c.op(out, op, ["x"], attrs, fn)
        roots.append(finish(c, out, str(k)))
    c.save(backward=add_all(c, roots), double=True)


# ---- reshape / flatten / transpose ---------------------------------------------------------------------------------
one_input("reshape_weighted_square", [2, 3, 4], [
    ("y0", "reshape", {"shape": [4, -1]}, lambda x: x.reshape(4, -1)),
    ("y1", "reshape", {"shape": [24]}, lambda x: x.reshape(24)),
], weighted_square_sum)
one_input("reshape_scalar_tanh", [1, 1], [
    ("y0", "reshape", {"shape": []}, lambda x: x.reshape(())),
], tanh_sum)
one_input("flatten_tanh", [2, 3, 1, 2], [
    ("y0", "flatten", {"start_dim": 1, "end_dim": 2}, lambda x: x.flatten(1, 2)),
    ("y1", "flatten", {"start_dim": 0, "end_dim": -1}, lambda x: x.flatten()),
], tanh_sum)
one_input("transpose_weighted_square", [3, 4], [
    ("y0", "transpose", {"dim0": 0, "dim1": 1}, lambda x: x.transpose(0, 1)),
], weighted_square_sum)
one_input("transpose_rank3_tanh", [2, 3, 4], [
    ("y0", "transpose", {"dim0": 0, "dim1": 2}, lambda x: x.transpose(0, 2)),
    ("y1", "transpose", {"dim0": -1, "dim1": 1}, lambda x: x.transpose(-1, 1)),
], tanh_sum)

# ---- cat -------------------------------------------------------------------------------------------------------------
c = Case("shape", "cat_two_tanh", root="double")
c.input("a", randn(2, 3), requires_grad=True)
c.input("b", randn(1, 3), requires_grad=True)
c.op("y", "concat", ["a", "b"], {"dim": 0}, lambda a, b: torch.cat([a, b], 0))
c.save(backward=tanh_sum(c, "y", "0"), double=True)

c = Case("shape", "cat_three_with_constant_weighted_square", root="double")
c.input("a", randn(2, 3), requires_grad=True)
c.input("k", randn(2, 2))  # a constant: no gradient of its own
c.input("b", randn(2, 1), requires_grad=True)
c.op("y", "concat", ["a", "k", "b", "a"], {"dim": -1}, lambda *ts: torch.cat(ts, -1))
c.save(backward=weighted_square_sum(c, "y", "0"), double=True)

c = Case("shape", "cat_with_empty_sigmoid", root="double")
c.input("a", randn(2, 0, 2), requires_grad=True)
c.input("b", randn(2, 3, 2), requires_grad=True)
c.op("y", "concat", ["a", "b", "a"], {"dim": 1}, lambda *ts: torch.cat(ts, 1))
c.op("s", "sigmoid", ["y"], {}, torch.sigmoid)
c.op("r", "sum", ["s"], {"dim": None}, torch.sum)
c.save(backward="r", double=True)

# ---- narrow / slice / select ---------------------------------------------------------------------------------------
one_input("narrow_weighted_square", [3, 4, 5], [
    ("n0", "narrow", {"dim": 0, "start": 1, "length": 2}, lambda x: x.narrow(0, 1, 2)),
    ("n1", "narrow", {"dim": -2, "start": -3, "length": 2}, lambda x: x.narrow(-2, -3, 2)),
    ("n2", "narrow", {"dim": 2, "start": 0, "length": 5}, lambda x: x.narrow(2, 0, 5)),
], weighted_square_sum)
one_input("slice_steps_weighted_square", [4, 7], [
    ("s0", "slice", {"dim": 1, "start": 1, "end": 6, "step": 2}, lambda x: x[:, 1:6:2]),
    ("s1", "slice", {"dim": -1, "start": -100, "end": 100, "step": 3}, lambda x: x[:, -100:100:3]),
    ("s2", "slice", {"dim": 0, "start": -3, "end": -1, "step": 1}, lambda x: x[-3:-1]),
    ("s3", "slice", {"dim": 1, "start": 6, "end": 7, "step": 5}, lambda x: x[:, 6:7:5]),
    ("s4", "slice", {"dim": 0, "start": 0, "end": 4, "step": 3}, lambda x: x[0:4:3]),
], weighted_square_sum)
one_input("slice_step_rank3_tanh", [3, 5, 2], [
    ("s0", "slice", {"dim": 1, "start": 0, "end": 5, "step": 2}, lambda x: x[:, 0:5:2]),
    ("s1", "slice", {"dim": 0, "start": 1, "end": 3, "step": 4}, lambda x: x[1:3:4]),
    ("s2", "slice", {"dim": 2, "start": 1, "end": 2, "step": 1}, lambda x: x[:, :, 1:2]),
], tanh_sum)
one_input("slice_empty_and_full_tanh", [3, 4], [
    ("s0", "slice", {"dim": 0, "start": 3, "end": 1, "step": 1}, lambda x: x[3:1]),
    ("s1", "slice", {"dim": 1, "start": 0, "end": 2147483647, "step": 1}, lambda x: x[:, 0:]),
], tanh_sum)
one_input("select_weighted_square", [2, 3, 2, 3], [
    ("t0", "select", {"dim": 0, "index": 1}, lambda x: x.select(0, 1)),
    ("t1", "select", {"dim": -1, "index": -3}, lambda x: x.select(-1, -3)),
    ("t2", "select", {"dim": 2, "index": 0}, lambda x: x.select(2, 0)),
], weighted_square_sum)
one_input("select_vector_to_scalar_tanh", [5], [
    ("t0", "select", {"dim": 0, "index": -1}, lambda x: x.select(0, -1)),
    ("t1", "select", {"dim": 0, "index": 2}, lambda x: x.select(0, 2)),
], tanh_sum)

# ---- permute / unsqueeze / squeeze / expand / repeat ---------------------------------------------------------------
one_input("permute_weighted_square", [2, 3, 4, 2], [
    ("p0", "permute", {"dims": [3, 1, 0, 2]}, lambda x: x.permute(3, 1, 0, 2)),
    ("p1", "permute", {"dims": [-1, -2, -3, -4]}, lambda x: x.permute(-1, -2, -3, -4)),
], weighted_square_sum)
one_input("permute_rank3_tanh", [2, 3, 4], [
    ("p0", "permute", {"dims": [1, 2, 0]}, lambda x: x.permute(1, 2, 0)),
    ("p1", "permute", {"dims": [2, 0, 1]}, lambda x: x.permute(2, 0, 1)),
], tanh_sum)
one_input("unsqueeze_weighted_square", [3, 4], [
    ("u0", "unsqueeze", {"dim": 0}, lambda x: x.unsqueeze(0)),
    ("u1", "unsqueeze", {"dim": -1}, lambda x: x.unsqueeze(-1)),
    ("u2", "unsqueeze", {"dim": 1}, lambda x: x.unsqueeze(1)),
], weighted_square_sum)
one_input("unsqueeze_scalar_tanh", [], [
    ("u0", "unsqueeze", {"dim": 0}, lambda x: x.unsqueeze(0)),
], tanh_sum)
one_input("squeeze_all_weighted_square", [3, 1, 2, 1], [
    ("q0", "squeeze", {"dim": None}, lambda x: x.squeeze()),
], weighted_square_sum)
one_input("squeeze_dim_tanh", [3, 1, 2, 1], [
    ("q0", "squeeze", {"dim": 1}, lambda x: x.squeeze(1)),
    ("q1", "squeeze", {"dim": -1}, lambda x: x.squeeze(-1)),
    ("q2", "squeeze", {"dim": 0}, lambda x: x.squeeze(0)),  # size 3: the same shape
], tanh_sum)
one_input("expand_tanh", [3, 1, 2], [
    ("e0", "expand", {"shape": [3, 4, 2]}, lambda x: x.expand(3, 4, 2)),
    ("e1", "expand", {"shape": [2, -1, 3, -1]}, lambda x: x.expand(2, -1, 3, -1)),
], tanh_sum)
one_input("expand_weighted_square", [1, 3], [
    ("e0", "expand", {"shape": [2, 4, 3]}, lambda x: x.expand(2, 4, 3)),
], weighted_square_sum)
one_input("expand_scalar_tanh", [], [
    ("e0", "expand", {"shape": [2, 3]}, lambda x: x.expand(2, 3)),
], tanh_sum)
one_input("repeat_weighted_square", [2, 3], [
    ("r0", "repeat", {"repeats": [2, 3]}, lambda x: x.repeat(2, 3)),
    ("r1", "repeat", {"repeats": [2, 1, 2]}, lambda x: x.repeat(2, 1, 2)),
    ("r2", "repeat", {"repeats": [1, 1]}, lambda x: x.repeat(1, 1)),
], weighted_square_sum)
one_input("repeat_leading_tanh", [3], [
    ("r0", "repeat", {"repeats": [2, 1, 2]}, lambda x: x.repeat(2, 1, 2)),
    ("r1", "repeat", {"repeats": [3]}, lambda x: x.repeat(3)),
], tanh_sum)
one_input("repeat_scalar_tanh", [], [
    ("r0", "repeat", {"repeats": [2, 3]}, lambda x: x.repeat(2, 3)),
], tanh_sum)
# A repeat by 0: PyTorch's repeat_backward returns zeros with no graph, so the first gradient is constant.
one_input("repeat_zero_tanh", [2, 3], [
    ("r0", "repeat", {"repeats": [0, 2]}, lambda x: x.repeat(0, 2)),
], tanh_sum)

# ---- stack ---------------------------------------------------------------------------------------------------------
c = Case("shape", "stack_every_dim_tanh", root="double")
c.input("a", randn(2, 3), requires_grad=True)
c.input("b", randn(2, 3), requires_grad=True)
c.input("k", randn(2, 3))  # a constant: no gradient
roots = []
for d in [0, 1, 2, -1, -3]:
    out = "st%d" % (d + 3)
    c.op(out, "stack", ["a", "b", "k", "a"], {"dim": d}, lambda *ts, d=d: torch.stack(ts, d))
    roots.append(tanh_sum(c, out, str(d + 3)))
c.save(backward=add_all(c, roots), double=True)

c = Case("shape", "stack_scalars_weighted_square", root="double")
c.input("s", torch.tensor(0.7), requires_grad=True)
c.input("t", torch.tensor(-1.2), requires_grad=True)
c.op("st", "stack", ["s", "t", "s"], {"dim": 0}, lambda *ts: torch.stack(ts, 0))
c.save(backward=weighted_square_sum(c, "st", "0"), double=True)

# ---- split / split with sizes / chunk ------------------------------------------------------------------------------
one_input("split_pieces_weighted_square", [3, 7], [
    ("sp0", "split", {"split_size": 3, "dim": 1, "index": 0}, lambda x: x.split(3, 1)[0]),
    ("sp1", "split", {"split_size": 3, "dim": 1, "index": 1}, lambda x: x.split(3, 1)[1]),
    ("sp2", "split", {"split_size": 3, "dim": 1, "index": 2}, lambda x: x.split(3, 1)[2]),
    ("sp3", "split", {"split_size": 2, "dim": 0, "index": 1}, lambda x: x.split(2, 0)[1]),
], weighted_square_sum)
one_input("split_middle_piece_tanh", [2, 9, 2], [
    ("sp0", "split", {"split_size": 4, "dim": -2, "index": 1}, lambda x: x.split(4, -2)[1]),
], tanh_sum)
one_input("chunk_tanh", [3, 7], [
    ("ch0", "chunk", {"chunks": 2, "dim": 0, "index": 0}, lambda x: x.chunk(2, 0)[0]),
    ("ch1", "chunk", {"chunks": 5, "dim": -1, "index": 2}, lambda x: x.chunk(5, -1)[2]),
], tanh_sum)
one_input("split_with_sizes_weighted_square", [3, 7], [
    ("ws0", "split_sizes", {"sizes": [2, 0, 5], "dim": 1, "index": 0}, lambda x: x.split([2, 0, 5], 1)[0]),
    ("ws1", "split_sizes", {"sizes": [2, 0, 5], "dim": 1, "index": 1}, lambda x: x.split([2, 0, 5], 1)[1]),
    ("ws2", "split_sizes", {"sizes": [2, 0, 5], "dim": 1, "index": 2}, lambda x: x.split([2, 0, 5], 1)[2]),
    ("ws3", "split_sizes", {"sizes": [1, 2], "dim": 0, "index": 1}, lambda x: x.split([1, 2], 0)[1]),
], weighted_square_sum)
one_input("split_with_sizes_tanh", [4, 3], [
    ("ws0", "split_sizes", {"sizes": [1, 3], "dim": 0, "index": 1}, lambda x: x.split([1, 3], 0)[1]),
    ("ws1", "split_sizes", {"sizes": [2, 1], "dim": -1, "index": 0}, lambda x: x.split([2, 1], -1)[0]),
], tanh_sum)
