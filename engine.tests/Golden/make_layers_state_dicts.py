"""Issue 18: a state_dict saved by PyTorch 1.13 through safetensors loads into each layer. For every pinned layer this
writes <name>.safetensors (PyTorch's state_dict, parameters and buffers under its names) and one entry of cases.json:
the constructor's arguments, PyTorch's repr, an input and the layer's output in eval mode.
Run with Debian's python3:  /usr/bin/python3 engine.tests/Golden/make_layers_state_dicts.py"""
import json
import os

import torch
from torch import nn

from safetensors_writer import save_safetensors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers", "state_dicts")
os.makedirs(OUT, exist_ok=True)


def entry(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


cases = []


def case(name, kind, args, module, inputs, run):
    torch.manual_seed(len(cases) + 100)
    # perturb every float tensor of the state so loaded values differ from a fresh init (running stats included)
    with torch.no_grad():
        for t in module.state_dict().values():
            if t.dtype == torch.float32:
                t.add_(0.1 * torch.randn_like(t))
        for n, b in module.named_buffers():
            if n.endswith("running_var"):
                b.abs_().add_(0.5)
            if n.endswith("num_batches_tracked"):
                b.fill_(7)
    module.eval()
    with torch.no_grad():
        output = run(module, *inputs)
    save_safetensors(dict(module.state_dict()), os.path.join(OUT, name + ".safetensors"))
    cases.append({"name": name, "kind": kind, "args": args, "repr": repr(module),
                  "inputs": [dict(entry(t), int=t.dtype == torch.int64) for t in inputs], "output": entry(output)})


torch.manual_seed(0)
one = lambda m, x: m(x)
case("gru_cell", "GRUCell", {"input": 5, "hidden": 7}, nn.GRUCell(5, 7), [torch.randn(3, 5), torch.randn(3, 7)], lambda m, x, h: m(x, h))
case("lstm_cell", "LSTMCell", {"input": 5, "hidden": 7}, nn.LSTMCell(5, 7), [torch.randn(3, 5), torch.randn(3, 7), torch.randn(3, 7)],
     lambda m, x, h, c: torch.cat(m(x, (h, c)), -1))
case("gru_2layer_batch_first", "GRU", {"input": 4, "hidden": 6, "layers": 2, "batch_first": True},
     nn.GRU(4, 6, num_layers=2, batch_first=True), [torch.randn(2, 16, 4)], lambda m, x: m(x)[0])
case("lstm_no_bias", "LSTM", {"input": 4, "hidden": 6, "layers": 1, "bias": False},
     nn.LSTM(4, 6, bias=False), [torch.randn(16, 2, 4)], lambda m, x: m(x)[0])
case("conv1d_groups_dilation", "Conv1d", {"in": 4, "out": 6, "kernel": 3, "stride": 2, "padding": 2, "dilation": 2, "groups": 2},
     nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), [torch.randn(2, 4, 11)], one)
case("conv2d", "Conv2d", {"in": 3, "out": 5, "kernel": 3, "stride": 2, "padding": 1, "dilation": 1, "groups": 1},
     nn.Conv2d(3, 5, 3, stride=2, padding=1), [torch.randn(2, 3, 9, 8)], one)
case("layer_norm", "LayerNorm", {"shape": [3, 4]}, nn.LayerNorm([3, 4]), [torch.randn(2, 3, 4)], one)
case("batch_norm1d", "BatchNorm1d", {"features": 5}, nn.BatchNorm1d(5), [torch.randn(4, 5, 3)], one)
case("batch_norm2d", "BatchNorm2d", {"features": 3}, nn.BatchNorm2d(3), [torch.randn(2, 3, 4, 4)], one)
case("embedding_padding", "Embedding", {"num": 10, "dim": 4, "padding_idx": 2}, nn.Embedding(10, 4, padding_idx=2),
     [torch.tensor([[1, 2, 9], [0, 2, 5]])], one)
case("multihead_attention", "MultiheadAttention", {"embed": 8, "heads": 2, "batch_first": True},
     nn.MultiheadAttention(8, 2, batch_first=True), [torch.randn(2, 5, 8), torch.randn(2, 6, 8)], lambda m, q, kv: m(q, kv, kv)[0])
case("transformer_norm_first", "TransformerEncoderLayer", {"d_model": 8, "heads": 2, "ff": 16, "norm_first": True},
     nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True, norm_first=True), [torch.randn(2, 5, 8)], one)

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(cases, f, separators=(",", ":"))
print(len(cases), "cases")
