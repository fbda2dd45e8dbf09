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

Double backward (Golden/double/<family>, make_double_<family>.py): Case(family, name, root="double") and
save(backward=..., double=True) record, instead of the backward above, torch.autograd.grad's
- "grads": the first gradients of the backward root (seeded with ones) with respect to every float input that requires
  grad, taken with create_graph=True (null when unused);
- "double": {"v": {input: data}, "s_requires_grad": bool, "grads": {input: data or null}}: the gradients of
  S = sum over inputs of (grad_input * v_input).sum() with respect to the same inputs (allow_unused=True; null when S
  does not depend on one, and all null when S requires no grad at all).
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "ops")

_DTYPES = {torch.float32: "float32", torch.int32: "int32", torch.bool: "bool"}


def t(values):
    """A float32 tensor of the given values."""
    return torch.tensor(values, dtype=torch.float32)


def away_from_zero(*shape, low=0.3):
    """randn values with |v| >= low: no kink at 0, no tiny denominators."""
    v = torch.randn(*shape)
    return torch.where(v.abs() < low, torch.sign(v + 1e-6) * (low + v.abs()), v)


def positive(*shape, low=0.4, high=2.5):
    """Uniform values in [low, high)."""
    return torch.rand(*shape) * (high - low) + low


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

    def __init__(self, family, name, root="ops"):
        self.family, self.name, self.root = family, name, os.path.join(HERE, root)
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

    def save(self, backward=None, double=False):
        case = {"name": self.name, "torch": torch.__version__, "inputs": self.inputs, "program": self.program,
                "backward": backward}
        if double:
            self._save_double(case, backward)
            return
        if backward is not None:
            root = self.tensors[backward]
            try:
                root.backward() if root.numel() == 1 else root.backward(torch.ones_like(root))
            except RuntimeError as error:
                case["backward_error"] = str(error)
        case["expect"] = self.expect
        case["grads"] = {k: (None if self.tensors[k].grad is None else _values(self.tensors[k].grad))
                         for k in self.inputs if self.inputs[k]["dtype"] == "float32"}
        self._write(case)

    def _write(self, case):
        folder = os.path.join(self.root, self.family)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, self.name + ".json"), "w") as f:
            json.dump(case, f)

    def _save_double(self, case, backward):
        root = self.tensors[backward]
        keys = [k for k in self.inputs if self.inputs[k]["dtype"] == "float32" and self.inputs[k]["requires_grad"]]
        xs = [self.tensors[k] for k in keys]
        seed = None if root.numel() == 1 else torch.ones_like(root)
        first = torch.autograd.grad(root, xs, grad_outputs=seed, create_graph=True, allow_unused=True)
        generator = torch.Generator().manual_seed(sum(map(ord, self.name)))
        vs = {k: torch.randn(self.tensors[k].shape, generator=generator) for k in keys}
        terms = [(g * vs[k]).sum() for k, g in zip(keys, first) if g is not None and g.requires_grad]
        s = sum(terms) if terms else None
        second = [None] * len(keys)
        if s is not None:
            second = torch.autograd.grad(s, xs, allow_unused=True)
        case["expect"] = self.expect
        case["grads"] = {k: (None if g is None else _values(g)) for k, g in zip(keys, first)}
        case["double"] = {"v": {k: _values(vs[k]) for k in keys}, "s_requires_grad": s is not None,
                          "grads": {k: (None if g is None else _values(g)) for k, g in zip(keys, second)}}
        self._write(case)
