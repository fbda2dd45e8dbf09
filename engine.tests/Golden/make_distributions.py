"""References for engine.tests/Distributions from torch.distributions (PyTorch 1.13, validate_args on, the default).

Writes Golden/distributions/{categorical,normal,bernoulli,errors}.json. Each case gives its inputs, the forward
values (log_prob, entropy, probs/logits, mean/stddev/variance) and the gradient of sum(w * output) with respect to
every parameter (and the value, for Normal), w a fixed random weight per output. Normal's rsample is checked with a
fixed eps: loc + eps * scale, as torch's rsample computes it. Non-finite floats are written as the strings
"inf", "-inf" and "nan" (JSON has none). errors.json holds torch's exact ValueError/RuntimeError text for inputs the
C# test builds identically (Int32 actions are given to torch as int32 so both print the same dtype).

Run with Debian's python: /usr/bin/python3 engine.tests/Golden/make_distributions.py
"""
import json
import math
import os

import torch
from torch.distributions import Bernoulli, Categorical, Normal

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distributions")
torch.manual_seed(19)


def flat(t):
    out = []
    for v in t.detach().reshape(-1).tolist():
        if isinstance(v, float) and not math.isfinite(v):
            out.append("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
        else:
            out.append(v)
    return out


def tensor(t):
    return {"shape": list(t.shape), "data": flat(t)}


def grads(output, params):
    """d sum(w * output) / d params, w random of output's shape; None where no gradient reaches (as torch)."""
    w = torch.randn(output.shape)
    got = torch.autograd.grad((output * w).sum(), params, allow_unused=True, retain_graph=True)
    return tensor(w), [None if g is None else tensor(g) for g in got]


def categorical_case(name, logits, actions):
    logits = logits.clone().requires_grad_(True)
    d = Categorical(logits=logits)
    lp = d.log_prob(actions)
    ent = d.entropy()
    case = {"name": name, "logits": tensor(logits), "actions": tensor(actions),
            "logits_normalized": tensor(d.logits), "probs": tensor(d.probs),
            "log_prob": tensor(lp), "entropy": tensor(ent)}
    for key, out in (("log_prob", lp), ("entropy", ent), ("probs", d.probs), ("logits_normalized", d.logits)):
        w, (g,) = grads(out, [logits])
        case[key + "_weight"] = w
        case[key + "_grad_logits"] = g
    return case


def normal_case(name, loc, scale, value):
    loc = loc.clone().requires_grad_(True)
    scale = scale.clone().requires_grad_(True)
    value = value.clone().requires_grad_(True)
    d = Normal(loc, scale)
    lp = d.log_prob(value)
    ent = d.entropy()
    eps = torch.randn(d.batch_shape)
    rs = d.loc + eps * d.scale  # Normal.rsample with this eps
    case = {"name": name, "loc": tensor(loc), "scale": tensor(scale), "value": tensor(value),
            "mean": tensor(d.mean), "stddev": tensor(d.stddev), "variance": tensor(d.variance),
            "log_prob": tensor(lp), "entropy": tensor(ent), "eps": tensor(eps), "rsample": tensor(rs)}
    for key, out in (("log_prob", lp), ("entropy", ent), ("rsample", rs), ("stddev", d.stddev), ("mean", d.mean)):
        w, (gl, gs, gv) = grads(out, [loc, scale, value])
        case[key + "_weight"] = w
        case[key + "_grad_loc"] = gl
        case[key + "_grad_scale"] = gs
    w = torch.tensor(case["log_prob_weight"]["data"]).reshape(lp.shape)
    case["log_prob_grad_value"] = tensor(torch.autograd.grad((lp * w).sum(), [value], retain_graph=True)[0])
    return case


def bernoulli_case(name, logits, value):
    logits = logits.clone().requires_grad_(True)
    d = Bernoulli(logits=logits)
    lp = d.log_prob(value)
    ent = d.entropy()
    case = {"name": name, "logits": tensor(logits), "value": tensor(value),
            "probs": tensor(d.probs), "logits_out": tensor(d.logits), "mean": tensor(d.mean),
            "stddev": tensor(d.stddev), "variance": tensor(d.variance),
            "log_prob": tensor(lp), "entropy": tensor(ent)}
    for key, out in (("log_prob", lp), ("entropy", ent), ("probs", d.probs), ("stddev", d.stddev)):
        w, (g,) = grads(out, [logits])
        case[key + "_weight"] = w
        case[key + "_grad_logits"] = g
    return case


def i32(*values):
    return torch.tensor(values, dtype=torch.int32)


ninf = float("-inf")
categorical = [
    categorical_case("batch 4x5", torch.randn(4, 5) * 2, i32(0, 4, 2, 1)),
    categorical_case("one row of 6, scalar action", torch.randn(6), torch.tensor(3, dtype=torch.int32)),
    categorical_case("batch 3x4, actions 2x3 broadcast", torch.randn(3, 4), torch.tensor([[0, 1, 3], [2, 2, 0]], dtype=torch.int32)),
    categorical_case("masked by -inf", torch.tensor([[0.5, ninf, 1.0, -0.25], [ninf, 2.0, ninf, 0.0]]), i32(2, 3)),
    categorical_case("large logits", torch.tensor([[50.0, -50.0, 0.0], [80.0, 80.0, -80.0]]), i32(0, 1)),
    categorical_case("batch 2x3x4", torch.randn(2, 3, 4), torch.tensor([[0, 1, 2], [3, 3, 1]], dtype=torch.int32)),
]

normal = [
    normal_case("same shapes 5", torch.randn(5), torch.rand(5) + 0.2, torch.randn(5)),
    normal_case("loc 3x1, scale 4, value 4", torch.randn(3, 1), torch.rand(4) * 2 + 0.1, torch.randn(4)),
    normal_case("scalar loc and scale", torch.tensor(0.3), torch.tensor(1.7), torch.randn(3)),
    normal_case("small and large scales", torch.tensor([0.0, 1.0, -2.0]), torch.tensor([1e-3, 10.0, 1.0]), torch.tensor([0.0005, -20.0, 3.0])),
]

bernoulli = [
    bernoulli_case("logits 6 with extremes", torch.tensor([0.0, 1.5, -2.0, 30.0, -30.0, 0.25]), torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])),
    bernoulli_case("logits 2x3, value 3 broadcast", torch.randn(2, 3), torch.tensor([0.0, 1.0, 1.0])),
    bernoulli_case("logits 4, value 2x4", torch.randn(4), torch.tensor([[0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]])),
]


def error(name, build):
    try:
        build()
    except (ValueError, RuntimeError) as e:
        return {"name": name, "message": str(e)}
    raise AssertionError(f"{name}: torch raised nothing")


nan = float("nan")
errors = [
    error("categorical NaN logits", lambda: Categorical(logits=torch.tensor([[1.0, 2.0, nan], [0.0, 1.0, 2.0]], requires_grad=True))),
    error("categorical scalar logits", lambda: Categorical(logits=torch.tensor(1.0))),
    error("categorical action out of range", lambda: Categorical(logits=torch.zeros(2, 3)).log_prob(i32(0, 3))),
    error("categorical negative action", lambda: Categorical(logits=torch.zeros(2, 3)).log_prob(i32(-1, 0))),
    error("categorical scalar action out of range", lambda: Categorical(logits=torch.zeros(2, 3)).log_prob(torch.tensor(3, dtype=torch.int32))),
    error("categorical fractional action", lambda: Categorical(logits=torch.zeros(2, 3)).log_prob(torch.tensor([0.5, 1.0]))),
    error("categorical actions not broadcastable", lambda: Categorical(logits=torch.zeros(2, 3)).log_prob(i32(0, 1, 2))),
    error("normal NaN loc", lambda: Normal(torch.tensor([0.0, nan]), torch.tensor([1.0, 1.0]))),
    error("normal negative scale", lambda: Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, -1.0], requires_grad=True))),
    error("normal NaN scale", lambda: Normal(torch.tensor([0.0, 1.0]), torch.tensor([nan, 1.0]))),
    error("normal zero scalar scale", lambda: Normal(torch.tensor(0.0), torch.tensor(0.0))),
    error("normal zero scale of one element", lambda: Normal(torch.tensor([0.0]), torch.tensor([0.0]))),
    error("normal shapes not broadcastable", lambda: Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0, 1.0]))),
    error("normal NaN value", lambda: Normal(torch.zeros(3), torch.ones(3)).log_prob(torch.tensor([nan, 1.0, 2.0]))),
    error("normal NaN scalar value", lambda: Normal(torch.zeros(2), torch.ones(2)).log_prob(torch.tensor(nan))),
    error("normal value not broadcastable", lambda: Normal(torch.zeros(3), torch.ones(3)).log_prob(torch.zeros(4))),
    error("bernoulli NaN logits", lambda: Bernoulli(logits=torch.tensor([0.0, nan]))),
    error("bernoulli value not 0 or 1", lambda: Bernoulli(logits=torch.tensor([0.0, 1.0, 2.0])).log_prob(torch.tensor([0.0, 1.0, 2.0]))),
    error("bernoulli value one half", lambda: Bernoulli(logits=torch.tensor([0.0, 1.0])).log_prob(torch.tensor([0.5, 1.0]))),
    error("bernoulli value not broadcastable", lambda: Bernoulli(logits=torch.zeros(2, 3)).log_prob(torch.zeros(2))),
]

os.makedirs(OUT, exist_ok=True)
for file, cases in (("categorical", categorical), ("normal", normal), ("bernoulli", bernoulli), ("errors", errors)):
    with open(os.path.join(OUT, file + ".json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1, allow_nan=False)
        f.write("\n")
print("wrote", OUT)
