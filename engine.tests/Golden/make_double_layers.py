"""Golden/double/layers: second derivatives of F.layer_norm (the fused op of issue 18) and of scaled dot-product
attention (composed; its reference is PyTorch 2.0's documented formula written with 1.13 ops) against PyTorch 1.13:
torch.autograd.grad with create_graph=True, then the gradient of S = sum(grad_input * v) (see golden_ops.py).
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_double_layers.py
"""
import math

import torch
import torch.nn.functional as F

from golden_ops import Case

torch.manual_seed(20261807)

c = Case("layers", "layer_norm_affine_times_input", root="double")
c.input("x", torch.randn(3, 5) * 1.5 + 0.3, requires_grad=True)
c.input("w", 1 + 0.4 * torch.randn(5), requires_grad=True)
c.input("b", 0.3 * torch.randn(5), requires_grad=True)
c.op("t0", "layer_norm", ["x", "w", "b"], {"normalized_shape": [5], "eps": 1e-5}, lambda x, w, b: F.layer_norm(x, [5], w, b, 1e-5))
c.op("t1", "mul", ["t0", "x"], {}, lambda a, b: a * b)
c.op("t2", "tanh", ["t1"], {}, torch.tanh)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.save(backward="t3", double=True)

c = Case("layers", "layer_norm_two_dims_no_affine", root="double")
c.input("x", torch.randn(2, 3, 4), requires_grad=True)
c.op("t0", "layer_norm", ["x"], {"normalized_shape": [3, 4], "eps": 1e-3}, lambda x: F.layer_norm(x, [3, 4], None, None, 1e-3))
c.op("t1", "square", ["t0"], {}, torch.square)
c.op("t2", "sum", ["t1"], {"dim": -1, "keepdim": False}, lambda t: t.sum(-1))
c.op("t3", "sin", ["t0"], {}, torch.sin)
c.op("t4", "sum", ["t3"], {"dim": None}, torch.sum)
c.op("t5", "sum", ["t2"], {"dim": None}, torch.sum)
c.op("t6", "mul", ["t4", "t5"], {}, lambda a, b: a * b)
c.save(backward="t6", double=True)


def sdpa(q, k, v, mask=None, is_causal=False):
    L, S = q.size(-2), k.size(-2)
    bias = torch.zeros(L, S)
    if is_causal:
        bias = bias.masked_fill(torch.ones(L, S, dtype=torch.bool).tril().logical_not(), float("-inf"))
    if mask is not None:
        bias = bias.masked_fill(mask.logical_not(), float("-inf")) if mask.dtype == torch.bool else bias + mask
    return torch.softmax(q @ k.transpose(-2, -1) * (1 / math.sqrt(q.size(-1))) + bias, dim=-1) @ v


c = Case("layers", "sdpa_causal_squared", root="double")
c.input("q", torch.randn(2, 3, 4), requires_grad=True)
c.input("k", torch.randn(2, 3, 4), requires_grad=True)
c.input("v", torch.randn(2, 3, 2), requires_grad=True)
c.op("t0", "scaled_dot_product_attention", ["q", "k", "v"], {"is_causal": True}, lambda q, k, v: sdpa(q, k, v, None, True))
c.op("t1", "square", ["t0"], {}, torch.square)
c.op("t2", "sum", ["t1"], {"dim": None}, torch.sum)
c.save(backward="t2", double=True)

c = Case("layers", "sdpa_float_mask", root="double")
c.input("q", torch.randn(3, 4), requires_grad=True)
c.input("k", torch.randn(5, 4), requires_grad=True)
c.input("v", torch.randn(5, 4), requires_grad=True)
c.input("m", torch.randn(3, 5), requires_grad=True)
c.op("t0", "scaled_dot_product_attention", ["q", "k", "v", "m"], {"is_causal": False}, lambda q, k, v, m: sdpa(q, k, v, m))
c.op("t1", "tanh", ["t0"], {}, torch.tanh)
c.op("t2", "sum", ["t1"], {"dim": None}, torch.sum)
c.save(backward="t2", double=True)
