"""Generates Golden/layers/recurrent/*.json: references for ArenaGrad.Nn's GRUCell, LSTMCell, GRU and LSTM (issue 18).

Each case: the module's options, its parameters by PyTorch name (the C# test loads them by name, as a state_dict),
the inputs, the outputs and the gradient of every parameter and input (and h0 / c0) for
loss = (out*w1).sum() + (hn*w2).sum() (+ (cn*w3).sum()) with fixed random w so gradients are non-uniform; and
repr(module). errors.json holds PyTorch 1.13's messages for wrong input ranks and sizes and wrong h0 shapes.

Run with Debian's PyTorch from the repository root:
    /usr/bin/python3 engine.tests/Golden/make_layers_recurrent.py
The output is committed; the tests never run Python.
"""
import json
import os

import numpy as np
import torch

from safetensors_writer import save_safetensors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers", "recurrent")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(1)


def floats(t):
    return [float(v) for v in np.asarray(t.detach(), dtype=np.float64).reshape(-1)]


def write(name, data):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(data, f, indent=0)


def tensor_entry(t):
    return {"shape": list(t.shape), "data": floats(t)}


def params(module):
    return {n: tensor_entry(p) for n, p in module.named_parameters()}


def grads(module):
    return {n: tensor_entry(p.grad) for n, p in module.named_parameters()}


def cell_case(kind, seed, input_size, hidden_size, bias, batch, with_state):
    torch.manual_seed(seed)
    cls = torch.nn.GRUCell if kind == "gru" else torch.nn.LSTMCell
    m = cls(input_size, hidden_size, bias=bias)
    shape_x = [batch, input_size] if batch is not None else [input_size]
    shape_h = [batch, hidden_size] if batch is not None else [hidden_size]
    x = torch.randn(*shape_x, requires_grad=True)
    case = {"kind": kind, "input_size": input_size, "hidden_size": hidden_size, "bias": bias,
            "batched": batch is not None, "with_state": with_state, "params": params(m), "input": tensor_entry(x),
            "repr": repr(m)}
    w1 = torch.randn(*shape_h)
    w2 = torch.randn(*shape_h)
    case["w1"] = tensor_entry(w1)
    case["w2"] = tensor_entry(w2)
    if kind == "gru":
        h = torch.randn(*shape_h, requires_grad=True) if with_state else None
        y = m(x, h)
        loss = (y * w1).sum()
        loss.backward()
        case["output"] = tensor_entry(y)
        if with_state:
            case["h0"] = tensor_entry(h)
            case["h0_grad"] = tensor_entry(h.grad)
    else:
        if with_state:
            h = torch.randn(*shape_h, requires_grad=True)
            c = torch.randn(*shape_h, requires_grad=True)
            yh, yc = m(x, (h, c))
        else:
            yh, yc = m(x)
        loss = (yh * w1).sum() + (yc * w2).sum()
        loss.backward()
        case["output"] = tensor_entry(yh)
        case["output_c"] = tensor_entry(yc)
        if with_state:
            case["h0"] = tensor_entry(h)
            case["c0"] = tensor_entry(c)
            case["h0_grad"] = tensor_entry(h.grad)
            case["c0_grad"] = tensor_entry(c.grad)
    case["input_grad"] = tensor_entry(x.grad)
    case["param_grads"] = grads(m)
    return case


def seq_case(kind, seed, input_size, hidden_size, num_layers, bias, batch_first, batch, steps, with_state):
    torch.manual_seed(seed)
    cls = torch.nn.GRU if kind == "gru" else torch.nn.LSTM
    m = cls(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first)
    if batch is None:
        shape_x = [steps, input_size]
        shape_h = [num_layers, hidden_size]
    else:
        shape_x = [batch, steps, input_size] if batch_first else [steps, batch, input_size]
        shape_h = [num_layers, batch, hidden_size]
    x = torch.randn(*shape_x, requires_grad=True)
    case = {"kind": kind, "input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers, "bias": bias,
            "batch_first": batch_first, "batched": batch is not None, "with_state": with_state, "params": params(m),
            "input": tensor_entry(x), "repr": repr(m)}
    state = None
    if with_state:
        h = torch.randn(*shape_h, requires_grad=True)
        case["h0"] = tensor_entry(h)
        if kind == "gru":
            state = h
        else:
            c = torch.randn(*shape_h, requires_grad=True)
            case["c0"] = tensor_entry(c)
            state = (h, c)
    out, st = m(x, state)
    w1 = torch.randn(*out.shape)
    w2 = torch.randn(*shape_h)
    w3 = torch.randn(*shape_h)
    case["w1"] = tensor_entry(w1)
    case["w2"] = tensor_entry(w2)
    case["w3"] = tensor_entry(w3)
    if kind == "gru":
        loss = (out * w1).sum() + (st * w2).sum()
        case["hn"] = tensor_entry(st)
    else:
        loss = (out * w1).sum() + (st[0] * w2).sum() + (st[1] * w3).sum()
        case["hn"] = tensor_entry(st[0])
        case["cn"] = tensor_entry(st[1])
    loss.backward()
    case["output"] = tensor_entry(out)
    case["input_grad"] = tensor_entry(x.grad)
    case["param_grads"] = grads(m)
    if with_state:
        case["h0_grad"] = tensor_entry(state.grad if kind == "gru" else state[0].grad)
        if kind == "lstm":
            case["c0_grad"] = tensor_entry(state[1].grad)
    return case


cells = []
seed = 100
for kind in ("gru", "lstm"):
    for bias in (True, False):
        for batch in (3, None):
            for with_state in (True, False):
                cells.append(cell_case(kind, seed, 5, 7, bias, batch, with_state))
                seed += 1
write("cells.json", {"cases": cells})

seqs = []
seed = 200
for kind in ("gru", "lstm"):
    for num_layers in (1, 2):
        for batch_first in (False, True):
            for with_state in (True, False):
                seqs.append(seq_case(kind, seed, 4, 6, num_layers, True, batch_first, 3, 17, with_state))
                seed += 1
    seqs.append(seq_case(kind, seed, 4, 6, 2, False, False, 2, 16, True)); seed += 1       # bias=False
    seqs.append(seq_case(kind, seed, 4, 6, 2, True, False, None, 16, True)); seed += 1      # unbatched with h0
    seqs.append(seq_case(kind, seed, 4, 6, 1, True, True, None, 16, False)); seed += 1      # unbatched, batch_first ignored
    seqs.append(seq_case(kind, seed, 3, 33, 1, True, False, 2, 16, True)); seed += 1       # hidden not a multiple of 16
write("sequences.json", {"cases": seqs})


def message(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return {"type": type(e).__name__, "message": str(e)}
    raise AssertionError("no error")


torch.manual_seed(0)
gru, lstm = torch.nn.GRU(4, 6, 2), torch.nn.LSTM(4, 6, 2)
gcell, lcell = torch.nn.GRUCell(4, 6), torch.nn.LSTMCell(4, 6)
errors = {
    "gru_rank4": message(lambda: gru(torch.randn(2, 3, 4, 1))),
    "gru_rank1": message(lambda: gru(torch.randn(4))),
    "gru_input_size": message(lambda: gru(torch.randn(5, 3, 5))),
    "gru_h0_shape": message(lambda: gru(torch.randn(5, 3, 4), torch.randn(2, 2, 6))),
    "gru_h0_unbatched_rank": message(lambda: gru(torch.randn(5, 4), torch.randn(2, 1, 6))),
    "gru_h0_batched_rank": message(lambda: gru(torch.randn(5, 3, 4), torch.randn(2, 6))),
    "lstm_rank4": message(lambda: lstm(torch.randn(2, 3, 4, 1))),
    "lstm_input_size": message(lambda: lstm(torch.randn(5, 3, 5))),
    "lstm_h0_shape": message(lambda: lstm(torch.randn(5, 3, 4), (torch.randn(2, 2, 6), torch.randn(2, 3, 6)))),
    "lstm_c0_shape": message(lambda: lstm(torch.randn(5, 3, 4), (torch.randn(2, 3, 6), torch.randn(1, 3, 6)))),
    "lstm_h0_batched_rank": message(lambda: lstm(torch.randn(5, 3, 4), (torch.randn(2, 6), torch.randn(2, 6)))),
    "gru_cell_rank3": message(lambda: gcell(torch.randn(2, 3, 4))),
    "gru_cell_input_size": message(lambda: gcell(torch.randn(3, 5))),
    "gru_cell_hidden_size": message(lambda: gcell(torch.randn(3, 4), torch.randn(3, 5))),
    "gru_cell_hidden_batch": message(lambda: gcell(torch.randn(3, 4), torch.randn(2, 6))),
    "gru_cell_hidden_rank": message(lambda: gcell(torch.randn(3, 4), torch.randn(6))),
    "lstm_cell_rank3": message(lambda: lcell(torch.randn(2, 3, 4))),
    "lstm_cell_hidden_size": message(lambda: lcell(torch.randn(3, 4), (torch.randn(3, 5), torch.randn(3, 6)))),
    "lstm_cell_cell_size": message(lambda: lcell(torch.randn(3, 4), (torch.randn(3, 6), torch.randn(3, 5)))),
}
write("errors.json", errors)

# a state_dict saved from PyTorch as safetensors (and by name in JSON)
torch.manual_seed(7)
lstm2 = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True)
x = torch.randn(2, 16, 3)
out, (hn, cn) = lstm2(x)
sd = {k: v.contiguous() for k, v in lstm2.state_dict().items()}


save_safetensors(sd, os.path.join(OUT, "lstm2.safetensors"))
have_st = True
write("state_dict.json", {"safetensors": have_st, "state": {k: tensor_entry(v) for k, v in sd.items()},
                          "input": tensor_entry(x), "output": tensor_entry(out), "hn": tensor_entry(hn),
                          "cn": tensor_entry(cn), "repr": repr(lstm2)})
print("ok", len(cells), len(seqs))
print(json.dumps(errors, indent=1))


# second derivatives through the cells (the fused ops' graph rules): P = Σ v·∂L/∂(x, h[, c]) with L = Σ w·out, and the
# gradient of P with respect to the input, the states and every parameter
def double_case(kind, seed):
    torch.manual_seed(seed)
    m = (torch.nn.GRUCell if kind == "gru" else torch.nn.LSTMCell)(3, 4)
    x = torch.randn(2, 3, requires_grad=True)
    h = torch.randn(2, 4, requires_grad=True)
    c = torch.randn(2, 4, requires_grad=True)
    w = torch.randn(2, 4)
    if kind == "gru":
        inputs = [x, h]
        loss = (m(x, h) * w).sum()
    else:
        inputs = [x, h, c]
        hy, cy = m(x, (h, c))
        loss = (hy * w).sum() + (cy * w.flip(0)).sum()
    vs = [torch.randn_like(t) for t in inputs]
    first = torch.autograd.grad(loss, inputs, create_graph=True)
    penalty = sum((g * v).sum() for g, v in zip(first, vs))
    penalty.backward()
    return {"kind": kind, "params": params(m), "x": tensor_entry(x), "h": tensor_entry(h), "c": tensor_entry(c),
            "w": tensor_entry(w), "v": [tensor_entry(v) for v in vs], "penalty": float(penalty),
            "input_grads": [tensor_entry(t.grad) for t in inputs], "param_grads": grads(m)}


write("double.json", {"cases": [double_case("gru", 300), double_case("lstm", 301)]})
