"""Golden/layers/norm: BatchNorm1d/BatchNorm2d, Embedding and state dicts with buffers against PyTorch 1.13 (issue 18).

Each case holds the module's options, its repr, its weights (loaded by name), and a sequence of steps; each step has
the mode (train or eval), the input, an upstream gradient u (the loss is sum(output * u), so no gradient vanishes),
the output, every parameter's and the input's gradient, and the buffers after the step. Double-backward cases give the
gradient of sum(dx * v) with respect to x and the weight. Also written: the state_dict key order of a Sequential mixing
Linear and BatchNorm, and bn_state.safetensors (that Sequential's state_dict, written in the safetensors format by hand,
num_batches_tracked as I64) with the Sequential's eval output for a fixed input.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_layers_norm.py
"""
import json
import os

import torch
import torch.nn as nn

from safetensors_writer import save_safetensors

torch.manual_seed(20261218)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers", "norm")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def ti(x):
    return {"shape": list(x.shape), "data": [int(v) for v in x.reshape(-1).tolist()]}


def bn_case(name, kind, c, shapes, modes, eps=1e-5, momentum=0.1, affine=True, track=True, double=False):
    cls = nn.BatchNorm1d if kind == "1d" else nn.BatchNorm2d
    m = cls(c, eps=eps, momentum=momentum, affine=affine, track_running_stats=track)
    with torch.no_grad():
        if affine:
            m.weight.copy_(torch.rand(c) * 1.5 + 0.25)
            m.bias.copy_(torch.randn(c) * 0.5)
        if track:  # start from non-trivial running statistics
            m.running_mean.copy_(torch.randn(c) * 0.3)
            m.running_var.copy_(torch.rand(c) + 0.5)
    case = {"name": name, "kind": kind, "num_features": c, "eps": eps, "momentum": momentum, "affine": affine,
            "track_running_stats": track, "repr": repr(m), "weights": {}, "buffers": {}, "steps": []}
    for k, v in m.state_dict().items():
        if v.dtype == torch.int64:
            case["buffers"][k] = ti(v)
        elif k in ("weight", "bias"):
            case["weights"][k] = t(v)
        else:
            case["buffers"][k] = t(v)
    for shape, mode in zip(shapes, modes):
        m.train(mode == "train")
        x = (torch.randn(shape) * 2 + 0.7).requires_grad_(True)
        u = torch.randn(shape)
        for p in m.parameters():
            p.grad = None
        y = m(x)
        (y * u).sum().backward()
        step = {"mode": mode, "input": t(x), "upstream": t(u), "output": t(y), "grad_fn": type(y.grad_fn).__name__,
                "grad_input": t(x.grad), "grads": {n: t(p.grad) for n, p in m.named_parameters()},
                "buffers_after": {k: (ti(v) if v.dtype == torch.int64 else t(v)) for k, v in m.named_buffers()}}
        if double:
            x2 = x.detach().clone().requires_grad_(True)
            params = list(m.parameters())
            y2 = m(x2) if mode == "eval" else torch.nn.functional.batch_norm(
                x2, None, None, m.weight, m.bias, True, 0.0, eps)
            gx, = torch.autograd.grad((y2 * u).sum(), x2, create_graph=True)
            v = torch.randn(shape)
            wrt = [x2] + params
            seconds = torch.autograd.grad((gx * v).sum(), wrt, allow_unused=True)
            step["double"] = {"v": t(v), "grad_x": t(seconds[0] if seconds[0] is not None else torch.zeros_like(x2)),
                              "grads": {n: t(s if s is not None else torch.zeros_like(p))
                                        for (n, p), s in zip(m.named_parameters(), seconds[1:])}}
        case["steps"].append(step)
    return case


batchnorm = [
    bn_case("bn1d_2d_train_steps", "1d", 4, [(6, 4)] * 3, ["train"] * 3, double=True),
    bn_case("bn1d_3d_train_eval", "1d", 3, [(4, 3, 5), (4, 3, 5), (2, 3, 5)], ["train", "train", "eval"], double=True),
    bn_case("bn1d_eval_only", "1d", 5, [(3, 5)], ["eval"], double=True),
    bn_case("bn1d_no_affine", "1d", 3, [(5, 3), (5, 3, 2)], ["train", "eval"], affine=False),
    bn_case("bn1d_no_tracking", "1d", 3, [(5, 3), (4, 3)], ["train", "eval"], track=False),
    bn_case("bn1d_no_affine_no_tracking", "1d", 2, [(3, 2, 4)], ["eval"], affine=False, track=False),
    bn_case("bn1d_eps_momentum", "1d", 3, [(4, 3), (4, 3)], ["train", "train"], eps=1e-3, momentum=0.3),
    bn_case("bn2d_train_steps_eval", "2d", 3, [(2, 3, 4, 5), (3, 3, 2, 2), (2, 3, 3, 3), (2, 3, 4, 5)],
            ["train", "train", "train", "eval"], double=True),
    bn_case("bn2d_no_affine", "2d", 2, [(2, 2, 3, 3), (1, 2, 2, 2)], ["train", "eval"], affine=False),
    bn_case("bn2d_no_tracking", "2d", 2, [(2, 2, 3, 3), (2, 2, 2, 3)], ["train", "eval"], track=False),
    bn_case("bn2d_single_sample_spatial", "2d", 3, [(1, 3, 2, 2)], ["train"], momentum=0.5),
]


def emb_case(name, num, dim, padding_idx, index, double=False):
    m = nn.Embedding(num, dim, padding_idx=padding_idx)
    with torch.no_grad():
        m.weight.copy_(torch.randn(num, dim))
        if m.padding_idx is not None:
            m.weight[m.padding_idx].fill_(0.0)
    idx = torch.tensor(index, dtype=torch.int64)
    y = m(idx)
    u = torch.randn(y.shape)
    (y * u).sum().backward()
    return {"name": name, "num_embeddings": num, "embedding_dim": dim, "padding_idx": padding_idx, "repr": repr(m),
            "weights": {"weight": t(m.weight)}, "index": ti(idx), "upstream": t(u), "output": t(y),
            "grad_fn": type(y.grad_fn).__name__, "grads": {"weight": t(m.weight.grad)}}


embedding = [
    emb_case("rank1", 10, 3, None, [1, 2, 4, 5, 4, 9]),
    emb_case("rank2_padding0", 10, 3, 0, [[0, 2, 0, 5], [4, 3, 2, 9]]),
    emb_case("rank3_padding_negative", 7, 4, -2, [[[5, 1], [5, 5]], [[6, 0], [2, 5]]]),
    emb_case("rank1_repeated", 5, 2, 3, [3, 3, 1, 1, 1, 0]),
    emb_case("rank0", 4, 3, None, 2),
]

# The state_dict of a Sequential mixing Linear and BatchNorm, saved through safetensors by hand.
seq = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2), nn.BatchNorm1d(2, affine=False))
seq.train()
for _ in range(3):
    seq(torch.randn(8, 3) * 1.5 + 0.2)
seq.eval()
probe = torch.randn(5, 3)
state = seq.state_dict()


save_safetensors(state, os.path.join(OUT, "bn_state.safetensors"))
sequential = {"repr": repr(seq), "keys": list(state.keys()),
              "dtypes": {k: str(v.dtype).replace("torch.", "") for k, v in state.items()},
              "probe": t(probe), "eval_output": t(seq(probe)),
              "num_batches_tracked": {k: int(v) for k, v in state.items() if k.endswith("num_batches_tracked")}}

errors = {}
try:
    nn.BatchNorm1d(3)(torch.randn(2, 3, 4, 5))
except Exception as e:
    errors["bn1d_4d"] = str(e)
try:
    nn.BatchNorm2d(3)(torch.randn(2, 3, 4))
except Exception as e:
    errors["bn2d_3d"] = str(e)
try:
    nn.BatchNorm1d(3)(torch.randn(1, 3))
except Exception as e:
    errors["bn1d_one_value"] = str(e)
try:
    nn.BatchNorm2d(3)(torch.randn(1, 3, 1, 1))
except Exception as e:
    errors["bn2d_one_value"] = str(e)
try:
    nn.BatchNorm1d(3)(torch.randn(2, 4))
except Exception as e:
    errors["bn1d_channels"] = str(e)
try:
    nn.Embedding(5, 2)(torch.tensor([1, 5]))
except Exception as e:
    errors["embedding_range"] = str(e)
try:
    nn.Embedding(5, 2, padding_idx=5)
except Exception as e:
    errors["embedding_padding"] = str(e)
try:
    seq.load_state_dict({k: v for k, v in state.items() if k != "1.running_var"})
except Exception as e:
    errors["missing_buffer"] = str(e)
try:
    bad = dict(state)
    bad["1.running_mean"] = torch.zeros(5)
    seq.load_state_dict(bad)
except Exception as e:
    errors["buffer_size_mismatch"] = str(e)

with open(os.path.join(OUT, "norm.json"), "w") as f:
    json.dump({"torch": torch.__version__, "batchnorm": batchnorm, "embedding": embedding, "sequential": sequential,
               "errors": errors}, f, separators=(",", ":"))
print("wrote", len(batchnorm), "batchnorm and", len(embedding), "embedding cases;", errors)
