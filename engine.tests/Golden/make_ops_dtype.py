"""Golden/ops/dtype: conversions between float32, int32 and bool (tensor.to), and int32/bool values through the shape
ops (reshape, transpose, cat), checked against PyTorch 1.13. See golden_ops.py for the format.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_ops_dtype.py
"""
import torch

from golden_ops import Case

torch.manual_seed(20261206)
TO = {"int32": torch.int32, "bool": torch.bool, "float32": torch.float32}


def to(dtype):
    return lambda x: x.to(TO[dtype])


c = Case("dtype", "float_to_int32_truncates")
c.input("x", torch.tensor([-2.75, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.99, 1e6, -7.0]))
c.op("t0", "to", ["x"], {"dtype": "int32"}, to("int32"))
c.save()

c = Case("dtype", "float_to_bool_nonzero")
c.input("x", torch.tensor([[0.0, -0.0, 1e-30, -3.0], [float("nan"), float("inf"), 0.25, 0.0]]))
c.op("t0", "to", ["x"], {"dtype": "bool"}, to("bool"))
c.save()

c = Case("dtype", "int32_and_bool_to_float")
c.input("i", torch.tensor([[3, -2, 0], [2147483647, -2147483648, 7]], dtype=torch.int32))
c.input("b", torch.tensor([True, False, True]))
c.op("t0", "to", ["i"], {"dtype": "float32"}, to("float32"))
c.op("t1", "to", ["b"], {"dtype": "float32"}, to("float32"))
c.op("t2", "to", ["i"], {"dtype": "bool"}, to("bool"))
c.op("t3", "to", ["b"], {"dtype": "int32"}, to("int32"))
c.save()

c = Case("dtype", "int32_shape_ops")
c.input("i", torch.arange(24, dtype=torch.int32).reshape(2, 3, 4) - 5)
c.input("j", torch.tensor([[[9, 8, 7, 6]], [[5, 4, 3, 2]]], dtype=torch.int32))
c.op("t0", "reshape", ["i"], {"shape": [4, -1]}, lambda i: i.reshape(4, -1))
c.op("t1", "transpose", ["i"], {"dim0": 0, "dim1": 2}, lambda i: i.transpose(0, 2).contiguous())
c.op("t2", "concat", ["i", "j"], {"dim": 1}, lambda i, j: torch.cat([i, j], 1))
c.op("t3", "detach", ["t2"], {}, lambda t: t.detach())
c.save()

c = Case("dtype", "bool_shape_ops")
c.input("b", torch.tensor([[True, False, False], [False, True, True]]))
c.op("t0", "transpose", ["b"], {"dim0": 0, "dim1": 1}, lambda b: b.t().contiguous())
c.op("t1", "reshape", ["b"], {"shape": [-1]}, lambda b: b.reshape(-1))
c.op("t2", "concat", ["b", "b"], {"dim": 0}, lambda b, d: torch.cat([b, d], 0))
c.save()

c = Case("dtype", "float_through_int_and_back")
x = c.input("x", torch.tensor([[1.7, -2.2, 3.9], [0.1, 5.5, -0.6]]), requires_grad=True)
c.op("t0", "to", ["x"], {"dtype": "int32"}, to("int32"))
c.op("t1", "to", ["t0"], {"dtype": "float32"}, to("float32"))
c.op("t2", "mul", ["x", "t1"], {}, lambda a, b: a * b)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.save(backward="t3")

c = Case("dtype", "empty_and_scalar")
c.input("e", torch.zeros(0, 3))
c.input("s", torch.tensor(-3.5))
c.op("t0", "to", ["e"], {"dtype": "int32"}, to("int32"))
c.op("t1", "to", ["s"], {"dtype": "int32"}, to("int32"))
c.op("t2", "to", ["t1"], {"dtype": "bool"}, to("bool"))
c.save()
