"""Golden/double/index: second derivatives through index_select, gather, scatter_add, masked_fill and where against
PyTorch 1.13 (issue 17).

The index ops and the masks are linear, so each program puts them between nonlinear steps, typically
tanh(op(x * w, ...)) weighted and summed: the second derivatives with respect to x and w then pass through the op's
adjoint twice (gather's is scatter_add into zeros and back, index_select's an index_add). Duplicated indices,
negative dims, broadcast inputs and the ranks 0 and 3 are covered. See golden_ops.py for the format.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_double_index.py
"""
import torch

from golden_ops import Case

torch.manual_seed(20261218)


def ints(values, shape=None):
    t = torch.tensor(values, dtype=torch.int32)
    return t.reshape(shape) if shape is not None else t


def bools(values, shape=None):
    t = torch.tensor([bool(v) for v in values], dtype=torch.bool)
    return t.reshape(shape) if shape is not None else t


def case(name):
    return Case("index", name, root="double")


def product(c, x, x_shape, w_shape):
    """Inputs x and w_x (requiring grad) and the step x_w = x * w_x."""
    c.input(x, torch.randn(x_shape), requires_grad=True)
    c.input("w_" + x, torch.rand(w_shape) * 1.5 + 0.25, requires_grad=True)
    return c.op(x + "_w", "mul", [x, "w_" + x], {}, lambda a, b: a * b)


def tanh_weighted_sum(c, out, key):
    """out = sum(tanh(key) * c) for a fixed c of key's shape, so that every element's gradient differs."""
    y = c.tensors[key]
    c.op(out + "_t", "tanh", [key], {}, torch.tanh)
    c.input("c_" + out, torch.arange(1, y.numel() + 1, dtype=torch.float32).reshape(y.shape) * 0.25 - 0.6)
    c.op(out + "_m", "mul", [out + "_t", "c_" + out], {}, lambda a, b: a * b)
    c.op(out, "sum", [out + "_m"], {"dim": None}, torch.sum)
    return out


def total(c, out, keys):
    last = keys[0]
    for k, key in enumerate(keys[1:]):
        name = f"{out}{k}"
        c.op(name, "add", [last, key], {}, lambda a, b: a + b)
        last = name
    return last


# ---- index_select --------------------------------------------------------------------------------------------------
c = case("index_select_dims_and_duplicates")
product(c, "x", (3, 4), (4,))
c.input("i1", ints([3, 0, 3, 1, 3]))
c.input("i0", ints([2, 2, 0]))
c.op("a", "index_select", ["x_w", "i1"], {"dim": 1}, lambda x, i: x.index_select(1, i.long()))
c.op("b", "index_select", ["x_w", "i0"], {"dim": -2}, lambda x, i: x.index_select(-2, i.long()))
tanh_weighted_sum(c, "sa", "a")
tanh_weighted_sum(c, "sb", "b")
c.save(backward=total(c, "r", ["sa", "sb"]), double=True)

# (index_select of a 0-d tensor has no golden: PyTorch 1.13's backward of it raises "Dimension specified as 0 but
# tensor has no dimensions")
c = case("index_select_rank_3_and_0d_index")
product(c, "q", (2, 3, 2), (3, 1))
c.input("i", ints([2, 0, 0, 1]))
c.input("i_0d", torch.tensor(1, dtype=torch.int32))
c.op("a", "index_select", ["q_w", "i"], {"dim": 1}, lambda x, i: x.index_select(1, i.long()))
c.op("b", "index_select", ["q_w", "i_0d"], {"dim": 2}, lambda x, i: x.index_select(2, i.long()))
tanh_weighted_sum(c, "sa", "a")
tanh_weighted_sum(c, "sb", "b")
c.save(backward=total(c, "r", ["sa", "sb"]), double=True)

# ---- gather --------------------------------------------------------------------------------------------------------
c = case("gather_dims_duplicates_and_longer_index")
product(c, "x", (3, 4), (4,))
c.input("i1", ints([0, 0, 3, 2, 1, 1], [3, 2]))
c.input("i0", ints([2, 0, 1, 1, 2, 0, 0, 0], [2, 4]))
c.input("iw", ints([1, 3, 3, 0, 2, 2, 2, 1, 0], [1, 9]))  # index.size(dim) larger than self's
c.op("a", "gather", ["x_w", "i1"], {"dim": 1}, lambda x, i: x.gather(1, i.long()))
c.op("b", "gather", ["x_w", "i0"], {"dim": -2}, lambda x, i: x.gather(-2, i.long()))
c.op("d", "gather", ["x_w", "iw"], {"dim": 1}, lambda x, i: x.gather(1, i.long()))
tanh_weighted_sum(c, "sa", "a")
tanh_weighted_sum(c, "sb", "b")
tanh_weighted_sum(c, "sd", "d")
c.save(backward=total(c, "r", ["sa", "sb", "sd"]), double=True)

c = case("gather_rank_3_and_0d")
product(c, "q", (2, 3, 2), (2,))
product(c, "s", (), ())
c.input("i", ints([2, 2, 0, 1, 1, 0, 0, 2], [2, 2, 2]))
c.input("i_s", torch.tensor(0, dtype=torch.int32))
c.op("a", "gather", ["q_w", "i"], {"dim": 1}, lambda x, i: x.gather(1, i.long()))
c.op("b", "gather", ["s_w", "i_s"], {"dim": 0}, lambda x, i: x.gather(0, i.long()))
tanh_weighted_sum(c, "sa", "a")
tanh_weighted_sum(c, "sb", "b")
c.save(backward=total(c, "r", ["sa", "sb"]), double=True)

# ---- scatter_add ---------------------------------------------------------------------------------------------------
c = case("scatter_add_self_and_source")
product(c, "x", (3, 4), (4,))
product(c, "src", (2, 4), (1, 4))
c.input("i0", ints([2, 0, 1, 2, 2, 2, 0, 1], [2, 4]))
c.op("a", "scatter_add", ["x_w", "i0", "src_w"], {"dim": 0}, lambda x, i, s: x.scatter_add(0, i.long(), s))
c.input("i1", ints([3, 3, 1, 0, 0, 0, 2, 1], [2, 4]))
product(c, "x2", (2, 4), (2, 1))
c.op("b", "scatter_add", ["x2_w", "i1", "src_w"], {"dim": -1}, lambda x, i, s: x.scatter_add(-1, i.long(), s))
tanh_weighted_sum(c, "sa", "a")
tanh_weighted_sum(c, "sb", "b")
c.save(backward=total(c, "r", ["sa", "sb"]), double=True)

c = case("scatter_add_smaller_index_and_0d")
product(c, "x", (3, 5), (5,))
product(c, "src", (2, 3), (3,))
c.input("i", ints([0, 4, 4, 2, 1, 0], [2, 3]))
c.op("a", "scatter_add", ["x_w", "i", "src_w"], {"dim": 1}, lambda x, i, s: x.scatter_add(1, i.long(), s))
product(c, "s", (), ())
product(c, "u", (), ())
c.input("i_s", torch.tensor(0, dtype=torch.int32))
c.op("b", "scatter_add", ["s_w", "i_s", "u_w"], {"dim": 0}, lambda x, i, s: x.scatter_add(0, i.long(), s))
tanh_weighted_sum(c, "sa", "a")
tanh_weighted_sum(c, "sb", "b")
c.save(backward=total(c, "r", ["sa", "sb"]), double=True)

# ---- masked_fill ---------------------------------------------------------------------------------------------------
c = case("masked_fill_broadcast")
product(c, "x", (3, 4), (4,))
product(c, "v", (4,), (4,))
c.input("m", bools([1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1], [3, 4]))
c.input("m1", bools([0, 1, 0, 0]))
c.op("a", "masked_fill", ["x_w", "m1"], {"value": 2.0}, lambda x, m: x.masked_fill(m, 2.0))
c.op("b", "masked_fill", ["v_w", "m"], {"value": -0.5}, lambda x, m: x.masked_fill(m, -0.5))  # v broadcast to the mask
tanh_weighted_sum(c, "sa", "a")
tanh_weighted_sum(c, "sb", "b")
c.save(backward=total(c, "r", ["sa", "sb"]), double=True)

# ---- where ---------------------------------------------------------------------------------------------------------
c = case("where_broadcast_both_sides")
product(c, "a", (3, 4), (4,))
product(c, "b", (3, 1), (1,))
c.input("cond", bools([1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1], [3, 4]))
c.input("cond_row", bools([0, 1, 1, 0]))
c.op("y", "where", ["cond", "a_w", "b_w"], {}, lambda k, a, b: torch.where(k, a, b))
c.op("z", "where", ["cond_row", "b_w", "a_w"], {}, lambda k, a, b: torch.where(k, a, b))
tanh_weighted_sum(c, "sy", "y")
tanh_weighted_sum(c, "sz", "z")
c.save(backward=total(c, "r", ["sy", "sz"]), double=True)

c = case("where_scalar_and_rank_3")
product(c, "a", (2, 1, 3), (3,))
c.input("cond", bools([1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1], [2, 2, 3]))
c.op("y", "where_scalar", ["cond", "a_w"], {"b": 0.75}, lambda k, a: torch.where(k, a, torch.tensor(0.75)))
tanh_weighted_sum(c, "sy", "y")
c.save(backward="sy", double=True)
