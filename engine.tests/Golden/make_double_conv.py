"""Double-backward references for convolution and pooling (issue 18): Golden/double/conv/*.json.

Each opcode of the family (Convolution in 2-d and 1-d, Im2Col, Col2Im, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d), fed
into a square (so the second derivative is not trivially zero for the linear ops), with strides, padding, dilation and
groups. Records torch.autograd.grad's first gradients (create_graph=True) and the gradients of
S = sum((grad_input * v_input).sum()) (golden_ops.Case.save(double=True)). Op names: GoldenOps_Conv.cs. Run from the
repository root:

    /usr/bin/python3 engine.tests/Golden/make_double_conv.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_ops import Case  # noqa: E402

torch.manual_seed(1818)
FAMILY = "conv"


def program(name, inputs, op, attrs, fn):
    """y = op(inputs...), q = y*y, s = q.sum()."""
    c = Case(FAMILY, name, root="double")
    for key, tensor in inputs:
        c.input(key, tensor, requires_grad=True)
    c.op("y", op, [k for k, _ in inputs], attrs, fn)
    c.op("q", "square", ["y"], {}, torch.square)
    c.op("s", "sum", ["q"], {"dim": None}, torch.sum)
    c.save(backward="s", double=True)


program("conv2d_stride_pad_dilation_groups", [("x", torch.randn(2, 4, 6, 5)), ("w", torch.randn(6, 2, 3, 2)), ("b", torch.randn(6))],
        "conv2d", {"stride": [2, 1], "padding": [1, 1], "dilation": [1, 2], "groups": 2},
        lambda x, w, b: F.conv2d(x, w, b, (2, 1), (1, 1), (1, 2), 2))
program("conv2d_pointwise_unbatched", [("x", torch.randn(3, 2, 4)), ("w", torch.randn(2, 3, 1, 1))],
        "conv2d", {"stride": [1, 1], "padding": [0, 0], "dilation": [1, 1], "groups": 1},
        lambda x, w: F.conv2d(x, w))
program("conv1d_depthwise", [("x", torch.randn(2, 3, 8)), ("w", torch.randn(6, 1, 3)), ("b", torch.randn(6))],
        "conv1d", {"stride": 2, "padding": 1, "dilation": 1, "groups": 3},
        lambda x, w, b: F.conv1d(x, w, b, 2, 1, 1, 3))
program("unfold", [("x", torch.randn(1, 2, 5, 4))], "unfold",
        {"kernel_size": [2, 3], "dilation": [2, 1], "padding": [1, 1], "stride": [1, 2]},
        lambda x: F.unfold(x, (2, 3), (2, 1), (1, 1), (1, 2)))
program("fold", [("x", torch.randn(2, 8, 9))], "fold",
        {"output_size": [4, 4], "kernel_size": [2, 2], "dilation": [1, 1], "padding": [1, 1], "stride": [2, 2]},
        lambda x: F.fold(x, (4, 4), (2, 2), 1, 1, 2))
program("max_pool2d", [("x", torch.randn(2, 2, 5, 6))], "max_pool2d",
        {"kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 1]},
        lambda x: F.max_pool2d(x, (3, 2), (2, 1), (1, 1)))
program("avg_pool2d", [("x", torch.randn(1, 3, 5, 6))], "avg_pool2d",
        {"kernel_size": [3, 3], "stride": [2, 2], "padding": [1, 1]},
        lambda x: F.avg_pool2d(x, 3, 2, 1))
program("adaptive_avg_pool2d", [("x", torch.randn(2, 2, 7, 5))], "adaptive_avg_pool2d",
        {"output_size": [3, 4]},
        lambda x: F.adaptive_avg_pool2d(x, (3, 4)))
