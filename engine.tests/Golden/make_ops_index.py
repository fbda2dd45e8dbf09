"""Golden/ops/index: index_select, gather, scatter_add, masked_fill, where, the comparisons, the logical ops, and the
class losses with an Int32 target tensor or class-probability targets, checked against PyTorch 1.13 (issue 16, family
index). See golden_ops.py for the format. Index tensors are int32 here and widened with .long() for torch.

The last program is the issue's done-when snippet, PPO's clipped objective; it also uses the math family's minimum
and the shape family's unsqueeze and squeeze (their GoldenOps map those names).
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_ops_index.py
"""
import torch
import torch.nn.functional as F

from golden_ops import Case, _float

torch.manual_seed(20261216)
NAN, INF = float("nan"), float("inf")


def ints(values, shape=None):
    t = torch.tensor(values, dtype=torch.int32)
    return t.reshape(shape) if shape is not None else t


def bools(values, shape=None):
    t = torch.tensor([bool(v) for v in values], dtype=torch.bool)
    return t.reshape(shape) if shape is not None else t


def weighted_sum(c, out, key):
    """sum(key * w) for a fixed weight w of key's shape, so that every element's gradient differs."""
    y = c.tensors[key]
    w = c.input("w_" + key, torch.arange(1, y.numel() + 1, dtype=torch.float32).reshape(y.shape) * 0.25 + 0.5)
    c.op(out + "_m", "mul", [key, "w_" + key], {}, lambda a, b: a * b)
    c.op(out, "sum", [out + "_m"], {"dim": None}, torch.sum)
    return out


def total(c, out, keys):
    """keys[0] + keys[1] + ... as steps named out0, out1, ...; returns the last name."""
    last = keys[0]
    for k, key in enumerate(keys[1:]):
        name = f"{out}{k}"
        c.op(name, "add", [last, key], {}, lambda a, b: a + b)
        last = name
    return last


def index_select(dim):
    return lambda x, i: x.index_select(dim, i.long())


def gather(dim):
    return lambda x, i: x.gather(dim, i.long())


def scatter_add(dim):
    return lambda x, i, s: x.scatter_add(dim, i.long(), s)


# ---- index_select ---------------------------------------------------------------------------------------------
c = Case("index", "index_select_dims_and_duplicates")
c.input("x", torch.randn(3, 4), requires_grad=True)
c.input("i1", ints([3, 0, 3, 1]))
c.input("i0", ints([2, 2, 0]))
c.input("ie", ints([]))
c.op("a", "index_select", ["x", "i1"], {"dim": 1}, index_select(1))
c.op("b", "index_select", ["x", "i0"], {"dim": -2}, index_select(-2))
c.op("e", "index_select", ["x", "ie"], {"dim": 1}, index_select(1))
weighted_sum(c, "sa", "a")
weighted_sum(c, "sb", "b")
c.op("se", "sum", ["e"], {"dim": None}, torch.sum)
c.save(backward=total(c, "r", ["sa", "sb", "se"]))

c = Case("index", "index_select_ranks_0_to_4")
c.input("s", torch.tensor(2.5), requires_grad=True)
c.input("v", torch.randn(5), requires_grad=True)
c.input("q", torch.randn(2, 1, 3, 2), requires_grad=True)
c.input("z", torch.zeros(0, 3), requires_grad=True)
c.input("i_s", ints([0]))
c.input("i_v", ints([4, 4, 0]))
c.input("i_q", ints([2, 0]))
c.input("i_z", ints([2, 1]))
c.input("i_0d", torch.tensor(1, dtype=torch.int32))
c.op("a", "index_select", ["s", "i_s"], {"dim": 0}, index_select(0))
c.op("b", "index_select", ["v", "i_v"], {"dim": -1}, index_select(-1))
c.op("d", "index_select", ["q", "i_q"], {"dim": 2}, index_select(2))
c.op("f", "index_select", ["z", "i_z"], {"dim": 1}, index_select(1))
c.op("g", "index_select", ["v", "i_0d"], {"dim": 0}, index_select(0))
weighted_sum(c, "sb", "b")
weighted_sum(c, "sd", "d")
weighted_sum(c, "sf", "f")
weighted_sum(c, "sg", "g")
c.save(backward=total(c, "r", ["a", "sb", "sd", "sf", "sg"]))

c = Case("index", "index_select_int32_and_bool")
c.input("i", torch.arange(12, dtype=torch.int32).reshape(3, 4) - 6)
c.input("b", bools([1, 0, 0, 1, 1, 0], [2, 3]))
c.input("k", ints([1, 1, 0]))
c.op("a", "index_select", ["i", "k"], {"dim": 0}, index_select(0))
c.op("c", "index_select", ["b", "k"], {"dim": 1}, index_select(1))
c.save()

# ---- gather ---------------------------------------------------------------------------------------------------
c = Case("index", "gather_dims_duplicates_and_smaller_index")
c.input("x", torch.randn(3, 4), requires_grad=True)
c.input("i1", ints([0, 0, 3, 2, 1, 1], [3, 2]))
c.input("i0", ints([2, 0, 1, 1, 2, 0, 0, 0], [2, 4]))
c.input("iw", ints([1, 3, 3, 0, 2, 2, 2, 1, 0], [1, 9]))  # index.size(dim) larger than self's: allowed
c.op("a", "gather", ["x", "i1"], {"dim": 1}, gather(1))
c.op("b", "gather", ["x", "i0"], {"dim": -2}, gather(-2))
c.op("d", "gather", ["x", "iw"], {"dim": 1}, gather(1))
weighted_sum(c, "sa", "a")
weighted_sum(c, "sb", "b")
weighted_sum(c, "sd", "d")
c.save(backward=total(c, "r", ["sa", "sb", "sd"]))

c = Case("index", "gather_ranks_0_to_4_and_empty")
c.input("s", torch.tensor(-1.5), requires_grad=True)
c.input("q", torch.randn(2, 3, 1, 2), requires_grad=True)
c.input("x", torch.randn(2, 3), requires_grad=True)
c.input("i_s", torch.tensor(0, dtype=torch.int32))
c.input("i_q", ints([2, 0, 1, 1, 0, 0, 2, 2], [2, 2, 1, 2]))
c.input("i_e", torch.zeros(2, 0, dtype=torch.int32))
c.op("a", "gather", ["s", "i_s"], {"dim": 0}, gather(0))
c.op("b", "gather", ["q", "i_q"], {"dim": 1}, gather(1))
c.op("e", "gather", ["x", "i_e"], {"dim": 1}, gather(1))
weighted_sum(c, "sb", "b")
c.op("se", "sum", ["e"], {"dim": None}, torch.sum)
c.save(backward=total(c, "r", ["a", "sb", "se"]))

c = Case("index", "gather_int32_and_non_finite")
c.input("i", torch.arange(6, dtype=torch.int32).reshape(2, 3) * 7 - 20)
c.input("x", torch.tensor([[NAN, INF, -0.0], [-INF, 0.0, 1.0]]))
c.input("k", ints([2, 2, 0, 1], [2, 2]))
c.op("a", "gather", ["i", "k"], {"dim": 1}, gather(1))
c.op("b", "gather", ["x", "k"], {"dim": 1}, gather(1))
c.save()

# ---- scatter_add -----------------------------------------------------------------------------------------------
c = Case("index", "scatter_add_dims_and_duplicates")
c.input("x", torch.randn(3, 4), requires_grad=True)
# PyTorch 1.13's backward gives source a gradient of the index's shape, and fails when that is smaller than source's
# (ScatterAddBackward0 returned an invalid gradient); the engine's is source's shape, 0 outside the index (IndexGradCheckTests)
c.input("src1", torch.randn(3, 2), requires_grad=True)
c.input("src0", torch.randn(1, 4), requires_grad=True)
c.input("big", torch.randn(3, 5))
c.input("i1", ints([0, 0, 3, 2, 2, 2], [3, 2]))
c.input("i0", ints([2, 2, 0, 1], [1, 4]))
c.op("a", "scatter_add", ["x", "i1", "src1"], {"dim": 1}, scatter_add(1))
c.op("b", "scatter_add", ["x", "i0", "src0"], {"dim": -2}, scatter_add(-2))
c.op("d", "scatter_add", ["x", "i1", "big"], {"dim": 1}, scatter_add(1))
weighted_sum(c, "sa", "a")
weighted_sum(c, "sb", "b")
weighted_sum(c, "sd", "d")
c.save(backward=total(c, "r", ["sa", "sb", "sd"]))

c = Case("index", "scatter_add_ranks_empty_and_non_finite")
c.input("s", torch.tensor(0.5), requires_grad=True)
c.input("t", torch.tensor(2.0), requires_grad=True)
c.input("q", torch.randn(2, 2, 1, 3), requires_grad=True)
c.input("src", torch.tensor([[[[1.0, NAN, -INF]], [[INF, -0.0, 2.0]]], [[[0.5, 0.25, 3.0]], [[-1.0, 1.0, 0.0]]]]))
c.input("i_s", torch.tensor(0, dtype=torch.int32))
c.input("i_q", ints([1, 0, 2, 0, 0, 1, 2, 2, 1, 0, 0, 0], [2, 2, 1, 3]))
c.input("i_e", torch.zeros(2, 0, 1, 3, dtype=torch.int32))
c.op("a", "scatter_add", ["s", "i_s", "t"], {"dim": 0}, scatter_add(0))
c.op("b", "scatter_add", ["q", "i_q", "src"], {"dim": -1}, scatter_add(-1))
c.op("e", "scatter_add", ["q", "i_e", "src"], {"dim": 0}, scatter_add(0))
weighted_sum(c, "se", "e")
c.save(backward=total(c, "r", ["a", "se"]))

# ---- masked_fill ------------------------------------------------------------------------------------------------
c = Case("index", "masked_fill_values_and_broadcast")
c.input("x", torch.tensor([[1.0, NAN, -2.0], [INF, -0.0, 3.0]]), requires_grad=True)
c.input("y", torch.randn(2, 1), requires_grad=True)
c.input("m", bools([1, 0, 0, 0, 1, 1], [2, 3]))
c.input("m3", bools([0, 1, 1]))
c.op("a", "masked_fill", ["x", "m"], {"value": _float(NAN)}, lambda x, m: x.masked_fill(m, NAN))
c.op("b", "masked_fill", ["x", "m3"], {"value": _float(-INF)}, lambda x, m: x.masked_fill(m, -INF))
c.op("d", "masked_fill", ["y", "m"], {"value": -0.0}, lambda x, m: x.masked_fill(m, -0.0))
c.op("e", "masked_fill", ["y", "m3"], {"value": 2.5}, lambda x, m: x.masked_fill(m, 2.5))
weighted_sum(c, "sd", "d")
weighted_sum(c, "se", "e")
c.save(backward=total(c, "r", ["sd", "se"]))

c = Case("index", "masked_fill_ranks_0_4_and_empty")
c.input("s", torch.tensor(1.25), requires_grad=True)
c.input("q", torch.randn(2, 1, 2, 3), requires_grad=True)
c.input("z", torch.randn(0, 3), requires_grad=True)
c.input("m0", torch.tensor(True))
c.input("mq", bools([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0], [2, 2, 1, 3]))
c.input("mz", bools([1, 0, 1]))
c.op("a", "masked_fill", ["s", "m0"], {"value": 3.0}, lambda x, m: x.masked_fill(m, 3.0))
c.op("b", "masked_fill", ["q", "mq"], {"value": -1.0}, lambda x, m: x.masked_fill(m, -1.0))
c.op("d", "masked_fill", ["z", "mz"], {"value": 9.0}, lambda x, m: x.masked_fill(m, 9.0))
c.op("f", "masked_fill", ["s", "mz"], {"value": 0.5}, lambda x, m: x.masked_fill(m, 0.5))
weighted_sum(c, "sb", "b")
weighted_sum(c, "sf", "f")
c.op("sd", "sum", ["d"], {"dim": None}, torch.sum)
c.save(backward=total(c, "r", ["a", "sb", "sd", "sf"]))

# ---- where -------------------------------------------------------------------------------------------------------
c = Case("index", "where_broadcast_all_three")
c.input("a", torch.randn(2, 1, 3), requires_grad=True)
c.input("b", torch.randn(4, 1), requires_grad=True)
c.input("cond", bools([1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0], [4, 3]))
c.input("n", torch.tensor([NAN, INF, -INF]), requires_grad=True)
c.input("c3", bools([0, 1, 0]))
c.op("y", "where", ["cond", "a", "b"], {}, torch.where)
c.op("z", "where", ["c3", "n", "b"], {}, torch.where)  # the NaN is not taken: its gradient is 0
weighted_sum(c, "sy", "y")
weighted_sum(c, "sz", "z")
c.save(backward=total(c, "r", ["sy", "sz"]))

c = Case("index", "where_float_b_ranks_and_empty")
c.input("s", torch.tensor(0.75), requires_grad=True)
c.input("q", torch.randn(1, 2, 2, 2), requires_grad=True)
c.input("z", torch.randn(3, 0), requires_grad=True)
c.input("c0", torch.tensor(False))
c.input("cq", bools([1, 0, 0, 1, 1, 1, 0, 0], [2, 2, 2]))
c.input("cz", bools([1, 0, 1], [3, 1]))
c.op("a", "where_scalar", ["c0", "s"], {"b": -2.0}, lambda cnd, a: torch.where(cnd, a, -2.0))
c.op("b", "where_scalar", ["cq", "q"], {"b": _float(NAN)}, lambda cnd, a: torch.where(cnd, a, NAN))
c.op("d", "where", ["cz", "z", "s"], {}, torch.where)
c.op("f", "where_scalar", ["cq", "s"], {"b": 1.5}, lambda cnd, a: torch.where(cnd, a, 1.5))
weighted_sum(c, "sf", "f")
c.op("sd", "sum", ["d"], {"dim": None}, torch.sum)
c.save(backward=total(c, "r", ["a", "sf", "sd"]))

c = Case("index", "where_int32_and_bool")
c.input("cond", bools([1, 0, 1, 0], [2, 2]))
c.input("i", ints([1, 2, 3, 4], [2, 2]))
c.input("j", ints([-7, 9]))
c.input("p", bools([1, 1]))
c.input("q", bools([0, 0], [2, 1]))
c.op("a", "where", ["cond", "i", "j"], {}, torch.where)
c.op("b", "where", ["cond", "p", "q"], {}, torch.where)
c.save()

# ---- comparisons -------------------------------------------------------------------------------------------------
CMP = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge}

c = Case("index", "compare_float_non_finite_ties_and_zeros")
c.input("a", torch.tensor([[1.0, NAN, INF, -INF, 0.0, -0.0], [2.0, 2.0, -1.0, NAN, INF, 3.0]]), requires_grad=True)
c.input("b", torch.tensor([1.0, NAN, INF, 0.0, -0.0, 0.0]))
c.input("col", torch.tensor([[2.0], [NAN]]))
for name, fn in CMP.items():
    c.op(name, name, ["a", "b"], {}, fn)
    c.op(name + "_col", name, ["col", "a"], {}, fn)
for name, fn in CMP.items():
    for k, s in enumerate([2.0, NAN, -0.0, INF]):
        c.op(f"{name}_s{k}", name + "_scalar", ["a"], {"other": _float(s)}, lambda a, fn=fn, s=s: fn(a, s))
c.save()

c = Case("index", "compare_int32_bool_ranks_and_empty")
c.input("i", ints([16777217, -3, 0, 2, 7, -2147483648], [2, 3]))
c.input("j", ints([16777216, -3, 1]))
c.input("p", bools([1, 0, 1, 0], [2, 2]))
c.input("r", bools([0, 1], [2, 1]))
c.input("s", torch.tensor(0.5))
c.input("q", torch.randn(2, 1, 3, 2))
c.input("e", torch.zeros(0, 3))
for name, fn in CMP.items():
    c.op(name + "_ij", name, ["i", "j"], {}, fn)
    c.op(name + "_pr", name, ["p", "r"], {}, fn)
    # an Int32 tensor against a float scalar: PyTorch compares in float32, so 16777217 equals 16777216.0
    c.op(name + "_i_s", name + "_scalar", ["i"], {"other": 16777216.0}, lambda a, fn=fn: fn(a, 16777216.0))
    c.op(name + "_i_h", name + "_scalar", ["i"], {"other": 2.5}, lambda a, fn=fn: fn(a, 2.5))
    c.op(name + "_p_h", name + "_scalar", ["p"], {"other": 0.5}, lambda a, fn=fn: fn(a, 0.5))
    c.op(name + "_sq", name, ["s", "q"], {}, fn)
    c.op(name + "_e", name + "_scalar", ["e"], {"other": 0.0}, lambda a, fn=fn: fn(a, 0.0))
c.save()

# ---- logical -------------------------------------------------------------------------------------------------------
LOG = {"logical_and": torch.logical_and, "logical_or": torch.logical_or, "logical_xor": torch.logical_xor}
c = Case("index", "logical_any_dtype_and_broadcast")
c.input("p", bools([1, 0, 1, 0, 0, 1], [2, 3]))
c.input("r", bools([0, 1, 1]))
c.input("i", ints([0, -5, 2], [1, 3]))
c.input("f", torch.tensor([NAN, -0.0, 0.0, 1e-30, -INF, 0.0]).reshape(2, 3))
c.input("s", torch.tensor(True))
c.input("q", bools([1, 0, 0, 1, 1, 1, 0, 1], [2, 1, 2, 2]))
c.input("e", torch.zeros(2, 0))
c.op("not_p", "logical_not", ["p"], {}, torch.logical_not)
c.op("not_i", "logical_not", ["i"], {}, torch.logical_not)
c.op("not_f", "logical_not", ["f"], {}, torch.logical_not)
c.op("not_e", "logical_not", ["e"], {}, torch.logical_not)
for name, fn in LOG.items():
    c.op(name + "_pr", name, ["p", "r"], {}, fn)
    c.op(name + "_ip", name, ["i", "p"], {}, fn)
    c.op(name + "_fi", name, ["f", "i"], {}, fn)
    c.op(name + "_sq", name, ["s", "q"], {}, fn)
    c.op(name + "_e", name, ["e", "s"], {}, fn)
c.save()

# ---- class losses with target tensors --------------------------------------------------------------------------------
REDUCTIONS = ["mean", "sum", "none"]
c = Case("index", "cross_entropy_and_nll_int32_targets")
c.input("x", torch.randn(4, 5), requires_grad=True)
c.input("v", torch.randn(5), requires_grad=True)
c.input("t", ints([1, 4, -100, 0]))
c.input("t0", torch.tensor(3, dtype=torch.int32))
keys = []
for red in REDUCTIONS:
    for eps in [0.0, 0.2]:
        name = f"ce_{red}_{int(eps * 10)}"
        c.op(name, "cross_entropy_tensor", ["x", "t"], {"reduction": red, "label_smoothing": eps, "ignore_index": -100},
             lambda x, t, red=red, eps=eps: F.cross_entropy(x, t.long(), reduction=red, label_smoothing=eps))
        keys.append(weighted_sum(c, "s" + name, name) if red == "none" else name)
    name = f"nll_{red}"
    c.op(name, "nll_loss_tensor", ["x", "t"], {"reduction": red, "ignore_index": -100},
         lambda x, t, red=red: F.nll_loss(x, t.long(), reduction=red))
    keys.append(weighted_sum(c, "s" + name, name) if red == "none" else name)
c.op("ce_1d", "cross_entropy_tensor", ["v", "t0"], {"reduction": "mean", "label_smoothing": 0.1, "ignore_index": -100},
     lambda x, t: F.cross_entropy(x, t.long(), label_smoothing=0.1))
c.input("t4", ints([1, 4, 4, 0]))
c.op("nll_ignore", "nll_loss_tensor", ["x", "t4"], {"reduction": "mean", "ignore_index": 4},
     lambda x, t: F.nll_loss(x, t.long(), ignore_index=4))
keys += ["ce_1d", "nll_ignore"]
c.save(backward=total(c, "r", keys))

c = Case("index", "cross_entropy_probability_targets")
c.input("x", torch.randn(3, 4), requires_grad=True)
c.input("p", torch.softmax(torch.randn(3, 4), 1), requires_grad=True)
c.input("v", torch.randn(4), requires_grad=True)
c.input("pv", torch.tensor([0.5, 0.0, 0.25, 0.25]), requires_grad=True)
c.input("u", torch.tensor([[2.0, -1.0, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]))  # not probabilities: allowed
keys = []
for red in REDUCTIONS:
    for eps in [0.0, 0.3]:
        name = f"ce_{red}_{int(eps * 10)}"
        c.op(name, "cross_entropy_tensor", ["x", "p"], {"reduction": red, "label_smoothing": eps, "ignore_index": -100},
             lambda x, t, red=red, eps=eps: F.cross_entropy(x, t, reduction=red, label_smoothing=eps))
        keys.append(weighted_sum(c, "s" + name, name) if red == "none" else name)
c.op("ce_1d", "cross_entropy_tensor", ["v", "pv"], {"reduction": "none", "label_smoothing": 0.1, "ignore_index": -100},
     lambda x, t: F.cross_entropy(x, t, reduction="none", label_smoothing=0.1))
c.op("ce_u", "cross_entropy_tensor", ["x", "u"], {"reduction": "sum", "label_smoothing": 0.0, "ignore_index": -100},
     lambda x, t: F.cross_entropy(x, t, reduction="sum"))
keys += ["ce_1d", "ce_u"]
c.save(backward=total(c, "r", keys))

c = Case("index", "cross_entropy_probability_targets_empty_batch")
c.input("x", torch.zeros(0, 3), requires_grad=True)
c.input("p", torch.zeros(0, 3), requires_grad=True)
c.op("m", "cross_entropy_tensor", ["x", "p"], {"reduction": "mean", "label_smoothing": 0.0, "ignore_index": -100},
     lambda x, t: F.cross_entropy(x, t))
c.op("s", "cross_entropy_tensor", ["x", "p"], {"reduction": "sum", "label_smoothing": 0.0, "ignore_index": -100},
     lambda x, t: F.cross_entropy(x, t, reduction="sum"))
c.save(backward="s")

# ---- the done-when snippet: PPO's clipped objective --------------------------------------------------------------
c = Case("index", "ppo_clipped_objective")
c.input("logits", torch.randn(5, 3), requires_grad=True)
c.input("actions", ints([2, 0, 1, 1, 2]))
c.input("old_logp", torch.log_softmax(torch.randn(5, 3), 1)[torch.arange(5), torch.tensor([2, 0, 1, 1, 2])])
c.input("adv", torch.tensor([1.5, -0.5, 0.25, -2.0, 0.75]))
c.op("logp", "log_softmax", ["logits"], {"dim": 1}, lambda x: x.log_softmax(1))
c.op("act", "unsqueeze", ["actions"], {"dim": 1}, lambda a: a.unsqueeze(1))
c.op("g", "gather", ["logp", "act"], {"dim": 1}, gather(1))
c.op("new_logp", "squeeze", ["g"], {"dim": 1}, lambda g: g.squeeze(1))
c.op("diff", "sub", ["new_logp", "old_logp"], {}, lambda a, b: a - b)
c.op("ratio", "exp", ["diff"], {}, torch.exp)
c.op("surr1", "mul", ["ratio", "adv"], {}, lambda a, b: a * b)
c.op("clipped", "clamp", ["ratio"], {"min": 0.8, "max": 1.2}, lambda r: r.clamp(0.8, 1.2))
c.op("surr2", "mul", ["clipped", "adv"], {}, lambda a, b: a * b)
c.op("m", "minimum", ["surr1", "surr2"], {}, torch.minimum)
c.op("mean", "mean", ["m"], {"dim": None}, torch.mean)
c.op("loss", "neg", ["mean"], {}, lambda x: -x)
c.save(backward="loss")
