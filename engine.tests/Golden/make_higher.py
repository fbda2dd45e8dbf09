"""Generates Golden/higher/*.json (all but third_derivatives.json): PyTorch 1.13 references for Autograd.Jacobian,
Hessian, Vjp, Jvp and Hvp (torch.autograd.functional), a WGAN-GP gradient-penalty step, and the Hessian of a small
Mlp's MSE loss with respect to one weight matrix and to the input.

Each file is {"tensors": {name: {"shape": [...], "data": [...]}}}: the inputs (x, v, u, fixed matrices, weights,
targets) and the expected results, all float32. The functions are written with ops the engine's graph rules cover
(elementwise, sum/mean, matmul/linear, views), and the C# tests (AutogradApi/FunctionalTests.cs,
GradientPenaltyTests.cs) write the same functions. MSE is written as ((p - y) * (p - y)).mean(), the same values as
F.mse_loss, so the references do not depend on the loss family's graph rules.

Run with Debian's PyTorch from the repository root:
    /usr/bin/python3 engine.tests/Golden/make_higher.py
The output is committed; the tests never run Python.
"""
import json
import os

import torch
import torch.nn as nn
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp

torch.manual_seed(20261207)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "higher")


def pack(t):
    t = t.detach().float()
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten().tolist()]}


def write(name, tensors):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"tensors": {k: pack(v) for k, v in tensors.items()}}, f, indent=1)


def functional_case(name, x, vector_f, scalar_f, constants):
    """jacobian/vjp/jvp of vector_f and hessian/hvp of scalar_f at x, with random v's of the right shapes."""
    out = vector_f(x)
    v_out = torch.randn(out.shape)   # vjp's v: the output's shape
    v_in = torch.randn(x.shape)      # jvp's and hvp's v: the input's shape
    vjp_out, vjp_res = vjp(vector_f, x, v_out)
    jvp_out, jvp_res = jvp(vector_f, x, v_in)
    hvp_out, hvp_res = hvp(scalar_f, x, v_in)
    tensors = dict(constants)
    tensors.update({
        "x": x, "v_out": v_out, "v_in": v_in,
        "output": out, "jacobian": jacobian(vector_f, x),
        "vjp": vjp_res, "jvp": jvp_res,
        "scalar_output": scalar_f(x), "hessian": hessian(scalar_f, x), "hvp": hvp_res,
    })
    assert torch.equal(vjp_out, out) and torch.equal(jvp_out, out)
    write("functional_" + name, tensors)


def elementwise():
    # f(x) = tanh(x)·x + exp(0.5·x); scalar: mean(f(x)²)
    x = torch.randn(2, 3)
    f = lambda t: torch.tanh(t) * t + torch.exp(t * 0.5)
    functional_case("elementwise", x, f, lambda t: (f(t) * f(t)).mean(), {})


def matmul():
    # f(x) = sigmoid(x @ A) with A fixed; scalar: sum(f(x)·x @ B) mixes rows and columns
    x, a, b = torch.randn(3, 4), torch.randn(4, 2), torch.randn(2, 4)
    f = lambda t: torch.sigmoid(t @ a)
    functional_case("matmul", x, f, lambda t: (f(t) @ b * t).sum(), {"A": a, "B": b})


def linear_in_x():
    # f(x) = x @ A: its Jacobian is constant and its Hessian zero (the first gradient does not require grad)
    x, a = torch.randn(2, 3), torch.randn(3, 2)
    f = lambda t: t @ a
    functional_case("linear", x, f, lambda t: f(t).sum(), {"A": a})


def small_mlp():
    # Mlp Linear(3,5)-Tanh-Linear(5,2) with fixed weights; f(x) = mlp(x), scalar: MSE against a target
    mlp = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    x, y = torch.randn(4, 3), torch.randn(4, 2)
    for p in mlp.parameters():
        p.requires_grad_(False)
    f = lambda t: mlp(t)
    mse = lambda t: ((mlp(t) - y) * (mlp(t) - y)).mean()
    constants = {"y": y}
    constants.update({k: v for k, v in mlp.state_dict().items()})
    functional_case("mlp", x, f, mse, constants)


def mlp_hessians():
    # MSE of Linear(3,4)-Tanh-Linear(4,2) with respect to the first weight matrix (flattened, 12 numbers) and to x
    w1, b1, w2, b2 = torch.randn(4, 3) * 0.7, torch.randn(4) * 0.1, torch.randn(2, 4) * 0.7, torch.randn(2) * 0.1
    x, y = torch.randn(5, 3), torch.randn(5, 2)

    def loss(x_, w1_):
        p = torch.nn.functional.linear(torch.tanh(torch.nn.functional.linear(x_, w1_, b1)), w2, b2)
        return ((p - y) * (p - y)).mean()

    w_flat = w1.flatten()
    by_weight = lambda w: loss(x, w.reshape(4, 3))
    by_input = lambda t: loss(t, w1)
    v_w, v_x = torch.randn(12), torch.randn(5, 3)
    loss_w, hvp_w = hvp(by_weight, w_flat, v_w)
    loss_x, hvp_x = hvp(by_input, x, v_x)
    write("mlp_mse_hessian", {
        "0.weight": w1, "0.bias": b1, "2.weight": w2, "2.bias": b2, "x": x, "y": y, "v_w": v_w, "v_x": v_x,
        "loss": loss_w, "hessian_w": hessian(by_weight, w_flat), "hvp_w": hvp_w,
        "hessian_x": hessian(by_input, x), "hvp_x": hvp_x,
    })
    assert torch.equal(loss_w, loss_x)


def gradient_penalty():
    # WGAN-GP: D = Linear(4,16)-Tanh-Linear(16,16)-ReLU-Linear(16,1); penalty = ((‖∇ₓ D(x)‖₂ per row) − 1)².mean()
    torch.manual_seed(11)  # a draw with no ReLU pre-activation near its kink (asserted below)
    d = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    x = torch.randn(8, 4, requires_grad=True)
    out = d(x)
    (g,) = torch.autograd.grad(out, x, torch.ones_like(out), create_graph=True)
    norm = torch.sqrt((g * g).sum(1))  # the same values as g.norm(2, dim=1)
    penalty = ((norm - 1) * (norm - 1)).mean()
    # The last bias does not reach ∇ₓD: allow_unused gives None for it (the file leaves out its gradient)
    grads = torch.autograd.grad(penalty, list(d.parameters()) + [x], allow_unused=True)
    assert grads[-2] is None
    h = d[2](torch.tanh(d[0](x)))
    assert (h.abs() > 1e-3).all(), "no pre-activation of the ReLU near its kink"
    tensors = {k: v for k, v in d.state_dict().items()}
    tensors.update({"x": x, "d_out": out, "grad_x": g, "norm": norm, "penalty": penalty})
    for (name, _), grad in zip(list(d.named_parameters()) + [("x", x)], grads):
        if grad is not None:
            tensors["grad." + name] = grad
    write("gradient_penalty", tensors)


if __name__ == "__main__":
    elementwise()
    matmul()
    linear_in_x()
    small_mlp()
    mlp_hessians()
    gradient_penalty()
