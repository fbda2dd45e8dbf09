#!/usr/bin/python3
"""Generates the expected PyTorch reprs baked into TensorFormatterTests.cs.

How it was run (Debian's python3-torch 1.13, default print options):

    apt-get update && apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 engine.tests/Printing/make_expected.py

It rewrites the block between the "BEGIN GENERATED" and "END GENERATED" markers of
TensorFormatterTests.cs (next to this script) in place. The tests themselves never need Python.

Each case is (name, shape, data, suffix mode). Data is float32. Small cases list every value;
large cases use ramp(n, start, step) = start + i * step, chosen so every value is exact in float32
and the C# side (TensorFormatterTests.Ramp) rebuilds bit-identical data.
Suffix modes: None (plain tensor), "rg" (requires_grad=True), "add"/"mul" (a grad_fn from x + 0 / x * 1).
"""
import json
import math
import os
import re

import numpy as np
import torch

torch.set_printoptions(profile="default")
rng = np.random.default_rng(1234)


def ramp(n, start, step):
    return ("ramp", n, start, step)


def values_of(data):
    if isinstance(data, tuple):
        _, n, start, step = data
        i = np.arange(n, dtype=np.float32)
        return np.float32(start) + i * np.float32(step)
    return np.array(data, dtype=np.float32)


nan, inf = float("nan"), float("inf")
CASES = [
    ("int_1d", [3], [1, 2, 3], None),
    ("int_2d", [2, 3], [1, 2, 3, 4, 5, 6], None),
    ("int_negative", [4], [-1, 20, -300, 4], None),
    ("int_with_zero", [3], [0, 5, -7], None),
    ("all_zero", [2, 2], [0, 0, 0, 0], None),
    ("negative_zero_int", [3], [-0.0, 1, 2], None),
    ("negative_zero_only", [2], [-0.0, 0.0], None),
    ("frac_1d", [3], [0.5, -1.25, 2.125], None),
    ("frac_rounding_ties", [6], [0.03125, 1.40625, -0.09375, 2.5, 0.15625, 3.999975], None),
    ("sci_rounding_ties", [4], [1.03125, 1e-3, -2.40625e3, 9.99995e-7], None),
    ("randn_2d", [3, 4], rng.standard_normal(12).tolist(), None),
    ("randn_3d", [2, 3, 4], rng.standard_normal(24).tolist(), None),
    ("randn_4d", [2, 2, 2, 3], rng.standard_normal(24).tolist(), None),
    ("sci_ratio", [3], [1e5, 1.0, 0.5], None),
    ("sci_small", [2], [1e-5, 0.5], None),
    ("sci_at_1e-4_float32", [2], [1e-4, 0.5], None),
    ("fixed_just_above_1e-4", [2], [0.00011, 0.05], None),
    ("sci_big", [2], [1.5e9, 2.5e9], None),
    ("int_sci_big", [2], [2e8, 3e8], None),
    ("int_sci_ratio", [3], [1, 2000, -5], None),
    ("int_1e8_fixed", [2], [1e8, 99999], None),
    ("sci_negative", [4], [-1.2345e-7, 3.0e3, -0.0, 0.0], None),
    ("sci_2d", [2, 2], [1e-8, 1.0, 12345.678, -0.001], None),
    ("nan_inf_int", [4], [nan, inf, -inf, 1.0], None),
    ("nan_inf_frac", [4], [nan, inf, -inf, 0.5], None),
    ("nan_inf_sci", [4], [nan, -inf, 1e-6, 10.0], None),
    ("only_nonfinite", [3], [nan, inf, -inf], None),
    ("scalar_int", [], [3.0], None),
    ("scalar_frac", [], [-0.1], None),
    ("scalar_sci", [], [1.23456e-9], None),
    ("scalar_nan", [], [nan], None),
    ("scalar_requires_grad", [], [2.5], "rg"),
    ("empty_1d", [0], [], None),
    ("empty_2d", [0, 3], [], None),
    ("empty_3d", [2, 0, 4], [], None),
    ("empty_requires_grad", [0, 3], [], "rg"),
    ("empty_1d_requires_grad", [0], [], "rg"),
    ("rank3_int", [2, 2, 2], list(range(8)), None),
    ("rank4_int", [2, 1, 2, 2], list(range(-4, 4)), None),
    ("single_elem_shapes", [1, 1, 1], [7.0], None),
    ("wrap_int_1d", [30], list(range(0, 300, 10)), None),
    ("wrap_frac_1d", [25], (rng.standard_normal(25) * 10).tolist(), None),
    ("wrap_2d_rows", [2, 20], rng.standard_normal(40).tolist(), None),
    ("wrap_requires_grad", [30], list(range(30)), "rg"),
    ("suffix_fits", [3], [1.0, 2.0, 3.0], "rg"),
    ("suffix_grad_fn", [2, 2], [0.5, 1.5, -2.5, 3.25], "add"),
    ("suffix_wraps_long_line", [11], [1000.5 + i for i in range(11)], "mul"),
    ("suffix_wraps_2d", [2, 11], [1000.5 + i for i in range(22)], "rg"),
    ("sci_wide_wrap", [12], [1e-5 * (i + 1) * (-1) ** i for i in range(12)], None),
    ("summarize_1d", [1001], ramp(1001, 0.0, 1.0), None),
    ("summarize_1d_frac", [1200], ramp(1200, -300.0, 0.5), "rg"),
    ("summarize_2d", [40, 30], ramp(1200, 1.0, 0.25), None),
    ("summarize_2d_sci", [40, 30], ramp(1200, 2.0 ** -10, 2.0 ** -10), None),
    ("summarize_3d", [11, 11, 11], ramp(1331, -665.0, 1.0), None),
    ("summarize_3d_narrow_last", [200, 3, 2], ramp(1200, 0.0, 1.0), None),
    ("summarize_4d", [7, 5, 6, 7], ramp(1470, 0.0, 0.5), "add"),
    ("not_summarized_1000", [1000], ramp(1000, 0.0, 1.0), None),
]


def cs_float(v):
    v = float(v)
    if math.isnan(v):
        return "float.NaN"
    if math.isinf(v):
        return "float.PositiveInfinity" if v > 0 else "float.NegativeInfinity"
    return repr(v) + "f"  # shortest repr of the exact float32 value, read back exactly by C#


def cs_data(data, arr):
    if isinstance(data, tuple):
        _, n, start, step = data
        return f"Ramp({n}, {cs_float(start)}, {cs_float(step)})"
    if len(arr) == 0:
        return "[]"
    return "[" + ", ".join(cs_float(v) for v in arr) + "]"


lines = []
for name, shape, data, mode in CASES:
    arr = values_of(data)
    t = torch.from_numpy(arr.copy()).reshape(shape)
    suffix = None
    if mode == "rg":
        t = t.clone().requires_grad_()
        suffix = ", requires_grad=True"
    elif mode == "add":
        t = t.clone().requires_grad_() + 0
        suffix = ", grad_fn=<AddBackward0>"
    elif mode == "mul":
        t = t.clone().requires_grad_() * 1
        suffix = ", grad_fn=<MulBackward0>"
    expected = repr(t)
    if suffix is not None:
        assert suffix[2:] in expected, (name, expected)
    shape_cs = "[" + ", ".join(str(d) for d in shape) + "]"
    suffix_cs = "null" if suffix is None else json.dumps(suffix)
    lines.append(
        f"        new({json.dumps(name)}, {shape_cs}, {cs_data(data, arr)}, {suffix_cs},\n"
        f"            {json.dumps(expected)}),"
    )

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "TensorFormatterTests.cs")
with open(path, encoding="utf-8") as f:
    src = f.read()
block = "\n".join(lines)
pattern = re.compile(r"(// BEGIN GENERATED[^\n]*\n).*?(^[ \t]*// END GENERATED)", re.S | re.M)
assert pattern.search(src), "markers not found"
src = pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), src, count=1)
with open(path, "w", encoding="utf-8") as f:
    f.write(src)
print(f"wrote {len(lines)} cases to {path}")
