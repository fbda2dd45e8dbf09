"""The writer shared by the per-family generators of Golden/ops/<family>/*.json (make_ops_<family>.py).

Same format as Golden/data (see Golden/README.md), plus:
- "dtype" on every input and expected value: "float32" (the default when absent), "int32" or "bool" (data as 0/1);
- non-finite floats written as the strings "NaN", "Infinity" and "-Infinity" (JSON has no literal for them);
- "backward" may be null: nothing that requires grad came out (comparisons, argmax), so no backward runs.

A family script:

    from golden_ops import Case
    c = Case("indexing", "gather_dim1")
    x = c.input("x", torch.randn(3, 4), requires_grad=True)
    i = c.input("i", torch.tensor([[0, 1], [2, 3], [1, 1]], dtype=torch.int32))
    y = c.op("t0", "gather", ["x", "i"], {"dim": 1}, lambda x, i: x.gather(1, i.long()))
    s = c.op("t1", "sum", ["t0"], {"dim": None}, torch.sum)
    c.save(backward="t1")

Each op's lambda is PyTorch's meaning of the step; the C# side maps the same op name in Golden/GoldenOps_<Family>.cs.
Index tensors are int32 here (the engine's index type) and widened with .long() inside the lambdas, as torch wants.
Run with Debian's PyTorch from the repository root: /usr/bin/python3 engine.tests/Golden/make_ops_<family>.py
"""
import json
import math
import os

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops")

_DTYPES = {torch.float32: "float32", torch.int32: "int32", torch.bool: "bool"}


def _values(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return [1 if v else 0 for v in t.flatten().tolist()]
    if t.dtype == torch.int32:
        return [int(v) for v in t.flatten().tolist()]
    return [_float(v) for v in t.float().flatten().tolist()]


def _float(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _spec(t):
    if t.dtype not in _DTYPES:
        raise ValueError(f"golden values must be float32, int32 or bool, not {t.dtype}")
    return {"shape": list(t.shape), "dtype": _DTYPES[t.dtype], "data": _values(t), "requires_grad": t.requires_grad}


class Case:
    """One program: named inputs, then steps, each a PyTorch function of earlier names."""

    def __init__(self, family, name):
        self.family, self.name = family, name
        self.tensors, self.inputs, self.program, self.expect = {}, {}, [], {}

    def input(self, key, tensor, requires_grad=False):
        t = tensor.detach().clone()
        if requires_grad:
            t.requires_grad_(True)
        self.tensors[key] = t
        self.inputs[key] = _spec(t)
        return t

    def op(self, out, op, args, attrs, fn):
        y = fn(*[self.tensors[a] for a in args])
        if y.dtype == torch.int64:
            y = y.int()  # indices come back as int64 from torch; the engine's are int32
        self.tensors[out] = y
        self.program.append({"out": out, "op": op, "args": list(args), "attrs": attrs})
        self.expect[out] = _spec(y)
        return y

    def save(self, backward=None):
        case = {"name": self.name, "torch": torch.__version__, "inputs": self.inputs, "program": self.program,
                "backward": backward}
        if backward is not None:
            root = self.tensors[backward]
            try:
                root.backward() if root.numel() == 1 else root.backward(torch.ones_like(root))
            except RuntimeError as error:
                case["backward_error"] = str(error)
        case["expect"] = self.expect
        case["grads"] = {k: (None if self.tensors[k].grad is None else _values(self.tensors[k].grad))
                         for k in self.inputs if self.inputs[k]["dtype"] == "float32"}
        folder = os.path.join(ROOT, self.family)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, self.name + ".json"), "w") as f:
            json.dump(case, f)
