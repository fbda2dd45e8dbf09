"""Third derivatives of elementwise functions (issue 17): Golden/higher/third_derivatives.json.

For each function f (tanh, sigmoid, exp, log, sin, and pow with a few exponents) and a vector x, the elementwise
first, second and third derivatives f'(x), f''(x), f'''(x), each taken with torch.autograd.grad of the previous one's
sum with create_graph=True (f acts elementwise, so the gradient of the sum is the derivative at each point).
AutogradApi/ThirdDerivativeTests.cs checks them with Autograd.Grad. Run from the repository root:

    /usr/bin/python3 engine.tests/Golden/make_third.py
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1703)

ANYWHERE = torch.tensor([-2.1, -1.3, -0.6, -0.15, 0.2, 0.7, 1.1, 1.9])
POSITIVE = torch.tensor([0.35, 0.6, 0.9, 1.3, 1.8, 2.4, 3.1])

# (name, op as the engine names it, exponent or None, f, x)
FUNCTIONS = [
    ("tanh", "tanh", None, torch.tanh, ANYWHERE),
    ("sigmoid", "sigmoid", None, torch.sigmoid, ANYWHERE * 1.5),
    ("exp", "exp", None, torch.exp, ANYWHERE),
    ("log", "log", None, torch.log, POSITIVE),
    ("sin", "sin", None, torch.sin, ANYWHERE * 2),
    ("pow_3", "pow", 3.0, lambda x: x.pow(3.0), ANYWHERE),        # f''' constant
    ("pow_4", "pow", 4.0, lambda x: x.pow(4.0), ANYWHERE),
    ("pow_2", "pow", 2.0, lambda x: x.pow(2.0), ANYWHERE),        # f''' zero
    ("pow_2_5", "pow", 2.5, lambda x: x.pow(2.5), POSITIVE),
    ("pow_minus_1_5", "pow", -1.5, lambda x: x.pow(-1.5), POSITIVE),
    ("pow_half", "pow", 0.5, lambda x: x.pow(0.5), POSITIVE),
]


def derivatives(f, x):
    x = x.clone().requires_grad_(True)
    out, current = [], f(x)
    for order in range(3):
        (d,) = torch.autograd.grad(current.sum(), x, create_graph=order < 2, allow_unused=True)
        if d is None:  # the previous derivative is a constant: all further ones are zero
            d = torch.zeros_like(x)
        out.append(d.detach().tolist())
        current = d
    return x.detach().tolist(), out


cases = []
for name, op, exponent, f, x in FUNCTIONS:
    xs, (first, second, third) = derivatives(f, x)
    cases.append({"name": name, "op": op, "exponent": exponent, "x": xs, "first": first, "second": second, "third": third})

folder = os.path.join(HERE, "higher")
os.makedirs(folder, exist_ok=True)
with open(os.path.join(folder, "third_derivatives.json"), "w") as handle:
    json.dump({"torch": torch.__version__, "cases": cases}, handle, indent=1)
