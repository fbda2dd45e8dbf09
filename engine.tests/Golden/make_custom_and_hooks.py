"""PyTorch 1.13's values for engine.tests/AutogradApi/CustomFunctionTests.cs and HookTests.cs.

Writes Golden/higher/custom_and_hooks.json. Run from the repository root with Debian's PyTorch:
/usr/bin/python3 engine.tests/Golden/make_custom_and_hooks.py
"""
import json
import os

import torch

out = {"torch": torch.__version__}
x0 = [0.5, -1.25, 2.0]
w0 = [1.5, 0.25, -0.75]


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3.0 * x * x


class ScaledProduct(torch.autograd.Function):
    """Two inputs and a setting (the struct's field in C#)."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b * ctx.scale, g * a * ctx.scale, None


x = torch.tensor(x0, requires_grad=True)
w = torch.tensor(w0, requires_grad=True)
y = Cube.apply(x)
loss = (y * w).sum()
gx, gw = torch.autograd.grad(loss, [x, w], create_graph=True)
(hx,) = torch.autograd.grad(gx.sum(), [x])
out["cube"] = {"x": x0, "w": w0, "y": y.tolist(), "grad_fn": type(y.grad_fn).__name__, "gx": gx.tolist(),
               "gw": gw.tolist(), "gx_sum_grad_x": hx.tolist()}

a = torch.tensor(x0, requires_grad=True)
b = torch.tensor(w0, requires_grad=True)
p = ScaledProduct.apply(a, b, 2.5)
(p.tanh().sum()).backward()
out["scaled_product"] = {"a": x0, "b": w0, "scale": 2.5, "grad_a": a.grad.tolist(), "grad_b": b.grad.tolist()}

# tensor hooks: a hook on an intermediate changes what flows upstream; two hooks run in order; a leaf hook changes .grad
x = torch.tensor(x0, requires_grad=True)
h = x * 2.0
order = []
h.register_hook(lambda g: (order.append("first"), g + 1.0)[1])
h.register_hook(lambda g: (order.append("second"), g * 3.0)[1])
x.register_hook(lambda g: g * 0.5)
(h * h).sum().backward()
out["hooks"] = {"x": x0, "grad_x": x.grad.tolist(), "order": order}

os.makedirs(os.path.join(os.path.dirname(os.path.abspath(__file__)), "higher"), exist_ok=True)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "higher", "custom_and_hooks.json"), "w") as f:
    json.dump(out, f, indent=1)
