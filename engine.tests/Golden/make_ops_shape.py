"""Golden/ops/shape: the views and shape ops of issue 16 (narrow, select, slice, permute, unsqueeze, squeeze, expand,
flatten, repeat, stack, split, split with sizes, chunk) against PyTorch 1.13: ranks 0 to 4, empty dims, negative dims
and indices, non-finite values and signed zeros, Int32 and Bool tensors, and gradients through every differentiable one
(each result weighted by a second tensor before the sum, so a misplaced gradient shows). See golden_ops.py for the format.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_ops_shape.py
"""
import torch

from golden_ops import Case

torch.manual_seed(20261216)
NAN, INF = float("nan"), float("inf")


def weighted_sum(c, names, shapes):
    """sum_i (names[i] * w_i).sum(), with w_i fresh inputs; the last step's name."""
    total = None
    for k, (n, shape) in enumerate(zip(names, shapes)):
        w = "w%d" % k
        c.input(w, torch.randn(shape), requires_grad=True)
        c.op("m%d" % k, "mul", [n, w], {}, lambda a, b: a * b)
        c.op("s%d" % k, "sum", ["m%d" % k], {"dim": None}, torch.sum)
        if total is None:
            total = "s%d" % k
        else:
            c.op("a%d" % k, "add", [total, "s%d" % k], {}, lambda a, b: a + b)
            total = "a%d" % k
    return total


def shape_of(c, name):
    return list(c.tensors[name].shape)


def grad_program(name, shape, steps):
    """One program: x of shape, each step (out, op, attrs, fn) applied to x, every result weighted into the root."""
    c = Case("shape", name)
    c.input("x", torch.randn(shape), requires_grad=True)
    outs = []
    for out, op, attrs, fn in steps:
        c.op(out, op, ["x"], attrs, fn)
        outs.append(out)
    root = weighted_sum(c, outs, [shape_of(c, o) for o in outs])
    c.save(backward=root)


# ---- narrow / slice / select ----------------------------------------------------------------------------------------
grad_program("narrow_every_dim_rank3", [3, 4, 5], [
    ("n0", "narrow", {"dim": 0, "start": 1, "length": 2}, lambda x: x.narrow(0, 1, 2)),
    ("n1", "narrow", {"dim": -2, "start": -3, "length": 2}, lambda x: x.narrow(-2, -3, 2)),
    ("n2", "narrow", {"dim": 2, "start": 5, "length": 0}, lambda x: x.narrow(2, 5, 0)),
    ("n3", "narrow", {"dim": 2, "start": 0, "length": 5}, lambda x: x.narrow(2, 0, 5)),
])
grad_program("slice_steps_and_clamping", [4, 7], [
    ("s0", "slice", {"dim": 1, "start": 1, "end": 6, "step": 2}, lambda x: x[:, 1:6:2]),
    ("s1", "slice", {"dim": -1, "start": -100, "end": 100, "step": 3}, lambda x: x[:, -100:100:3]),
    ("s2", "slice", {"dim": 0, "start": -3, "end": -1, "step": 1}, lambda x: x[-3:-1]),
    ("s3", "slice", {"dim": 0, "start": 3, "end": 1, "step": 1}, lambda x: x[3:1]),
    ("s4", "slice", {"dim": 1, "start": 6, "end": 7, "step": 5}, lambda x: x[:, 6:7:5]),
    ("s5", "slice", {"dim": 1, "start": 0, "end": 2147483647, "step": 1000}, lambda x: x[:, 0::1000]),
])
grad_program("select_ranks_1_to_4", [2, 3, 2, 3], [
    ("t0", "select", {"dim": 0, "index": 1}, lambda x: x.select(0, 1)),
    ("t1", "select", {"dim": -1, "index": -3}, lambda x: x.select(-1, -3)),
    ("t2", "select", {"dim": 2, "index": 0}, lambda x: x.select(2, 0)),
])
grad_program("select_vector_to_scalar", [5], [
    ("t0", "select", {"dim": 0, "index": -1}, lambda x: x.select(0, -1)),
    ("t1", "select", {"dim": -1, "index": 2}, lambda x: x.select(-1, 2)),
])

# ---- permute / unsqueeze / squeeze / flatten -------------------------------------------------------------------------
grad_program("permute_ranks_0_to_4", [2, 3, 4, 2], [
    ("p0", "permute", {"dims": [3, 1, 0, 2]}, lambda x: x.permute(3, 1, 0, 2).contiguous()),
    ("p1", "permute", {"dims": [-1, -2, -3, -4]}, lambda x: x.permute(-1, -2, -3, -4).contiguous()),
    ("p2", "permute", {"dims": [0, 1, 2, 3]}, lambda x: x.permute(0, 1, 2, 3).contiguous()),
])
grad_program("permute_scalar", [], [
    ("p0", "permute", {"dims": []}, lambda x: x.permute(()).contiguous()),
])
grad_program("unsqueeze_squeeze", [3, 1, 2], [
    ("u0", "unsqueeze", {"dim": 0}, lambda x: x.unsqueeze(0)),
    ("u1", "unsqueeze", {"dim": -1}, lambda x: x.unsqueeze(-1)),
    ("u2", "unsqueeze", {"dim": 2}, lambda x: x.unsqueeze(2)),
    ("q0", "squeeze", {"dim": None}, lambda x: x.squeeze()),
    ("q1", "squeeze", {"dim": 1}, lambda x: x.squeeze(1)),
    ("q2", "squeeze", {"dim": -1}, lambda x: x.squeeze(-1)),
])
grad_program("unsqueeze_squeeze_scalar", [], [
    ("u0", "unsqueeze", {"dim": 0}, lambda x: x.unsqueeze(0)),
    ("u1", "unsqueeze", {"dim": -1}, lambda x: x.unsqueeze(-1)),
    ("q0", "squeeze", {"dim": None}, lambda x: x.squeeze()),
    ("q1", "squeeze", {"dim": 0}, lambda x: x.squeeze(0)),
])
grad_program("flatten_ranges", [2, 3, 1, 2], [
    ("f0", "flatten", {"start_dim": 0, "end_dim": -1}, lambda x: x.flatten()),
    ("f1", "flatten", {"start_dim": 1, "end_dim": 2}, lambda x: x.flatten(1, 2)),
    ("f2", "flatten", {"start_dim": -2, "end_dim": -1}, lambda x: x.flatten(-2, -1)),
    ("f3", "flatten", {"start_dim": 2, "end_dim": 2}, lambda x: x.flatten(2, 2)),
])
grad_program("flatten_scalar", [], [
    ("f0", "flatten", {"start_dim": 0, "end_dim": -1}, lambda x: x.flatten()),
])

# ---- expand / repeat ---------------------------------------------------------------------------------------------------
grad_program("expand_singletons_and_leading", [3, 1, 2], [
    ("e0", "expand", {"shape": [3, 4, 2]}, lambda x: x.expand(3, 4, 2).contiguous()),
    ("e1", "expand", {"shape": [2, -1, 3, -1]}, lambda x: x.expand(2, -1, 3, -1).contiguous()),
    ("e2", "expand", {"shape": [3, 0, 2]}, lambda x: x.expand(3, 0, 2).contiguous()),
    ("e3", "expand", {"shape": [3, 1, 2]}, lambda x: x.expand(3, 1, 2).contiguous()),
])
grad_program("expand_scalar", [], [
    ("e0", "expand", {"shape": [2, 3]}, lambda x: x.expand(2, 3).contiguous()),
    ("e1", "expand", {"shape": []}, lambda x: x.expand([]).contiguous()),
])
grad_program("repeat_tiles", [2, 3], [
    ("r0", "repeat", {"repeats": [2, 3]}, lambda x: x.repeat(2, 3)),
    ("r1", "repeat", {"repeats": [2, 1, 2]}, lambda x: x.repeat(2, 1, 2)),
    ("r2", "repeat", {"repeats": [1, 1]}, lambda x: x.repeat(1, 1)),
    ("r3", "repeat", {"repeats": [0, 2]}, lambda x: x.repeat(0, 2)),
    ("r4", "repeat", {"repeats": [3, 1, 1, 2]}, lambda x: x.repeat(3, 1, 1, 2)),
])
grad_program("repeat_scalar", [], [
    ("r0", "repeat", {"repeats": []}, lambda x: x.repeat(())),
    ("r1", "repeat", {"repeats": [4]}, lambda x: x.repeat(4)),
    ("r2", "repeat", {"repeats": [2, 3]}, lambda x: x.repeat(2, 3)),
])

# ---- stack -------------------------------------------------------------------------------------------------------------
c = Case("shape", "stack_every_dim")
c.input("a", torch.randn(2, 3), requires_grad=True)
c.input("b", torch.randn(2, 3), requires_grad=True)
c.input("k", torch.randn(2, 3))  # a constant: no gradient
outs = []
for d in [0, 1, 2, -1, -3]:
    c.op("st%d" % (d + 3), "stack", ["a", "b", "k", "a"], {"dim": d}, lambda *ts, d=d: torch.stack(ts, d))
    outs.append("st%d" % (d + 3))
c.save(backward=weighted_sum(c, outs, [shape_of(c, o) for o in outs]))

c = Case("shape", "stack_scalars_and_empty")
c.input("s", torch.tensor(1.5), requires_grad=True)
c.input("t", torch.tensor(-2.0), requires_grad=True)
c.input("e", torch.zeros(0, 2), requires_grad=True)
c.op("st0", "stack", ["s", "t", "s"], {"dim": 0}, lambda *ts: torch.stack(ts, 0))
c.op("st1", "stack", ["e", "e"], {"dim": 1}, lambda *ts: torch.stack(ts, 1))
c.save(backward=weighted_sum(c, ["st0", "st1"], [[3], [0, 2, 2]]))

# ---- split / chunk -----------------------------------------------------------------------------------------------------
c = Case("shape", "split_and_chunk_pieces")
c.input("x", torch.randn(3, 7), requires_grad=True)
outs = []
for i in range(3):  # 7 in pieces of 3: 3, 3, 1
    c.op("sp%d" % i, "split", ["x"], {"split_size": 3, "dim": 1, "index": i}, lambda x, i=i: x.split(3, 1)[i])
    outs.append("sp%d" % i)
c.op("big", "split", ["x"], {"split_size": 10, "dim": -1, "index": 0}, lambda x: x.split(10, -1)[0])
outs.append("big")
for i in range(2):  # 3 rows in 2 chunks: 2, 1
    c.op("ch%d" % i, "chunk", ["x"], {"chunks": 2, "dim": 0, "index": i}, lambda x, i=i: x.chunk(2, 0)[i])
    outs.append("ch%d" % i)
for i in range(4):  # 7 in 5 chunks: pieces of 2, so only 4
    c.op("cf%d" % i, "chunk", ["x"], {"chunks": 5, "dim": -1, "index": i}, lambda x, i=i: x.chunk(5, -1)[i])
    outs.append("cf%d" % i)
for i, sizes in enumerate([[2, 0, 5], [7]]):
    for j in range(len(sizes)):
        c.op("ws%d%d" % (i, j), "split_sizes", ["x"], {"sizes": sizes, "dim": 1, "index": j},
             lambda x, sizes=sizes, j=j: x.split(sizes, 1)[j])
        outs.append("ws%d%d" % (i, j))
c.save(backward=weighted_sum(c, outs, [shape_of(c, o) for o in outs]))

c = Case("shape", "split_and_chunk_empty_dim")
c.input("x", torch.zeros(0, 3), requires_grad=True)
c.op("sp0", "split", ["x"], {"split_size": 0, "dim": 0, "index": 0}, lambda x: x.split(0, 0)[0])
c.op("sp1", "split", ["x"], {"split_size": 2, "dim": 0, "index": 0}, lambda x: x.split(2, 0)[0])
c.op("ch3", "chunk", ["x"], {"chunks": 4, "dim": 0, "index": 3}, lambda x: x.chunk(4, 0)[3])
c.op("ws1", "split_sizes", ["x"], {"sizes": [0, 0], "dim": 0, "index": 1}, lambda x: x.split([0, 0], 0)[1])
c.op("cc1", "chunk", ["x"], {"chunks": 2, "dim": 1, "index": 1}, lambda x: x.chunk(2, 1)[1])
c.save(backward=weighted_sum(c, ["sp0", "sp1", "ch3", "ws1", "cc1"], [[0, 3], [0, 3], [0, 3], [0, 3], [0, 1]]))

# ---- empty tensors through everything ---------------------------------------------------------------------------------
grad_program("empty_inputs", [2, 0, 3], [
    ("n0", "narrow", {"dim": 2, "start": 1, "length": 2}, lambda x: x.narrow(2, 1, 2)),
    ("t0", "select", {"dim": 0, "index": 1}, lambda x: x.select(0, 1)),
    ("s0", "slice", {"dim": 2, "start": 0, "end": 3, "step": 2}, lambda x: x[:, :, 0:3:2]),
    ("p0", "permute", {"dims": [2, 0, 1]}, lambda x: x.permute(2, 0, 1).contiguous()),
    ("u0", "unsqueeze", {"dim": 1}, lambda x: x.unsqueeze(1)),
    ("q0", "squeeze", {"dim": None}, lambda x: x.squeeze()),
    ("e0", "expand", {"shape": [4, 2, 0, 3]}, lambda x: x.expand(4, 2, 0, 3).contiguous()),
    ("f0", "flatten", {"start_dim": 0, "end_dim": 1}, lambda x: x.flatten(0, 1)),
    ("r0", "repeat", {"repeats": [2, 3, 1]}, lambda x: x.repeat(2, 3, 1)),
])

# ---- special values, bit for bit: NaN, ±inf, ±0 ------------------------------------------------------------------------
c = Case("shape", "nonfinite_and_signed_zero_values")
c.input("x", torch.tensor([[NAN, -0.0, INF], [0.0, -INF, 1e-40], [-1.5, NAN, 3.0e38]]))
c.op("n0", "narrow", ["x"], {"dim": 1, "start": 1, "length": 2}, lambda x: x.narrow(1, 1, 2))
c.op("t0", "select", ["x"], {"dim": 1, "index": 0}, lambda x: x.select(1, 0))
c.op("s0", "slice", ["x"], {"dim": 0, "start": 0, "end": 3, "step": 2}, lambda x: x[0:3:2])
c.op("p0", "permute", ["x"], {"dims": [1, 0]}, lambda x: x.permute(1, 0).contiguous())
c.op("e0", "expand", ["x"], {"shape": [2, 3, 3]}, lambda x: x.expand(2, 3, 3).contiguous())
c.op("r0", "repeat", ["x"], {"repeats": [1, 2]}, lambda x: x.repeat(1, 2))
c.op("st", "stack", ["x", "x"], {"dim": 2}, lambda a, b: torch.stack([a, b], 2))
c.op("sp", "split", ["x"], {"split_size": 2, "dim": 0, "index": 1}, lambda x: x.split(2, 0)[1])
c.op("f0", "flatten", ["x"], {"start_dim": 0, "end_dim": -1}, lambda x: x.flatten())
c.save()

# ---- Int32 and Bool keep their dtype -----------------------------------------------------------------------------------
c = Case("shape", "int32_through_every_op")
c.input("i", torch.tensor([[-1, 2147483647, -2147483648, 0], [7, -8, 9, 2139095041], [5, 6, -4194303, 1]], dtype=torch.int32))
c.input("j", torch.arange(12, dtype=torch.int32).reshape(3, 4))
c.op("n0", "narrow", ["i"], {"dim": 1, "start": 1, "length": 2}, lambda x: x.narrow(1, 1, 2))
c.op("t0", "select", ["i"], {"dim": 0, "index": -1}, lambda x: x.select(0, -1))
c.op("s0", "slice", ["i"], {"dim": 1, "start": -3, "end": 4, "step": 2}, lambda x: x[:, -3:4:2])
c.op("p0", "permute", ["i"], {"dims": [1, 0]}, lambda x: x.permute(1, 0).contiguous())
c.op("u0", "unsqueeze", ["i"], {"dim": 1}, lambda x: x.unsqueeze(1))
c.op("q0", "squeeze", ["u0"], {"dim": 1}, lambda x: x.squeeze(1))
c.op("e0", "expand", ["t0"], {"shape": [2, 4]}, lambda x: x.expand(2, 4).contiguous())
c.op("f0", "flatten", ["i"], {"start_dim": 0, "end_dim": -1}, lambda x: x.flatten())
c.op("r0", "repeat", ["i"], {"repeats": [2, 1, 2]}, lambda x: x.repeat(2, 1, 2))
c.op("st", "stack", ["i", "j"], {"dim": -1}, lambda a, b: torch.stack([a, b], -1))
c.op("sp", "split", ["i"], {"split_size": 3, "dim": 1, "index": 1}, lambda x: x.split(3, 1)[1])
c.op("ch", "chunk", ["j"], {"chunks": 2, "dim": 0, "index": 0}, lambda x: x.chunk(2, 0)[0])
c.op("ws", "split_sizes", ["j"], {"sizes": [1, 3], "dim": 1, "index": 1}, lambda x: x.split([1, 3], 1)[1])
c.save()

c = Case("shape", "bool_through_every_op")
c.input("b", torch.tensor([[True, False, True], [False, False, True]]))
c.op("n0", "narrow", ["b"], {"dim": 1, "start": 0, "length": 2}, lambda x: x.narrow(1, 0, 2))
c.op("t0", "select", ["b"], {"dim": 1, "index": 2}, lambda x: x.select(1, 2))
c.op("s0", "slice", ["b"], {"dim": 1, "start": 0, "end": 3, "step": 2}, lambda x: x[:, 0:3:2])
c.op("p0", "permute", ["b"], {"dims": [1, 0]}, lambda x: x.permute(1, 0).contiguous())
c.op("u0", "unsqueeze", ["b"], {"dim": 0}, lambda x: x.unsqueeze(0))
c.op("q0", "squeeze", ["u0"], {"dim": None}, lambda x: x.squeeze())
c.op("e0", "expand", ["u0"], {"shape": [3, 2, 3]}, lambda x: x.expand(3, 2, 3).contiguous())
c.op("f0", "flatten", ["e0"], {"start_dim": 1, "end_dim": 2}, lambda x: x.flatten(1, 2))
c.op("r0", "repeat", ["b"], {"repeats": [1, 2]}, lambda x: x.repeat(1, 2))
c.op("st", "stack", ["b", "b"], {"dim": 0}, lambda a, d: torch.stack([a, d], 0))
c.op("sp", "split", ["b"], {"split_size": 2, "dim": 1, "index": 1}, lambda x: x.split(2, 1)[1])
c.op("ch", "chunk", ["b"], {"chunks": 3, "dim": 0, "index": 1}, lambda x: x.chunk(3, 0)[1])
c.save()

# ---- the PPO line of the issue: logits.log_softmax(1).gather(1, actions.unsqueeze(1)).squeeze(1), gather spelt as a
# one-hot product here (gather is the indexing family's)
c = Case("shape", "ppo_unsqueeze_squeeze")
c.input("logits", torch.randn(4, 3), requires_grad=True)
c.input("onehot", torch.nn.functional.one_hot(torch.tensor([2, 0, 1, 2]), 3).float())
c.op("lp", "log_softmax", ["logits"], {"dim": 1}, lambda x: x.log_softmax(1))
c.op("u", "unsqueeze", ["lp"], {"dim": 1}, lambda x: x.unsqueeze(1))
c.op("h", "unsqueeze", ["onehot"], {"dim": -2}, lambda x: x.unsqueeze(-2))
c.op("m", "mul", ["u", "h"], {}, lambda a, b: a * b)
c.op("picked", "sum", ["m"], {"dim": 2, "keepdim": False}, lambda x: x.sum(2))
c.op("out", "squeeze", ["picked"], {"dim": 1}, lambda x: x.squeeze(1))
c.op("loss", "sum", ["out"], {"dim": None}, torch.sum)
c.save(backward="loss")
