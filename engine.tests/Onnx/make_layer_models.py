"""Writes the layer models of issue 18 as torch.onnx.export (PyTorch 1.13, opset 17) writes them, with PyTorch's output
on a fixed input, for LayerTorchExportTests.

    /usr/bin/python3 engine.tests/Onnx/make_layer_models.py

Each case NAME gives data/NAME.onnx and data/NAME.json: {"input": {"shape", "data", "dtype"}, "output": {"shape", "data"}}
(dtype "float32", or "int64" for the embedding models' token ids). Shapes are fixed (no dynamic axes), so the exporter
folds the recurrent layers' zero initial states into constants. Numbers are printed with 9 significant digits."""
import io
import json
import os

import torch
from torch import nn

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class RnnOutput(nn.Module):
    """The output sequence of a GRU or LSTM (nn.Module.forward returns a tuple)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


class EmbeddingGru(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(12, 5)
        self.gru = nn.GRU(5, 6, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, tokens):
        return self.head(self.gru(self.embedding(tokens))[0])


def nature_cnn():
    return nn.Sequential(
        nn.Conv2d(4, 8, 8, stride=4), nn.ReLU(),
        nn.Conv2d(8, 16, 4, stride=2), nn.ReLU(),
        nn.Conv2d(16, 16, 3, stride=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 6))


def batch_norm(module):
    # evaluation with running statistics that are not the initial 0 and 1
    with torch.no_grad():
        module.running_mean.uniform_(-1, 1)
        module.running_var.uniform_(0.5, 2)
        module.weight.uniform_(0.5, 1.5)
        module.bias.uniform_(-0.5, 0.5)
    return module


def cases():
    yield "conv2d", nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU()), [2, 3, 9, 9]
    yield "conv2d_grouped", nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=2, bias=False), [2, 4, 8, 7]
    yield "conv1d", nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2), [2, 4, 10]
    yield "maxpool2d", nn.MaxPool2d(3, stride=2, padding=1), [2, 3, 9, 9]
    yield "avgpool2d", nn.AvgPool2d(3, stride=2, padding=1), [2, 3, 9, 9]
    yield "avgpool2d_nopad", nn.AvgPool2d(2), [2, 3, 6, 6]
    yield "global_avgpool", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), [2, 3, 5, 4]
    yield "batchnorm2d", batch_norm(nn.BatchNorm2d(3)), [2, 3, 4, 4]
    yield "batchnorm1d", batch_norm(nn.BatchNorm1d(5, eps=1e-3)), [4, 5]
    yield "layernorm", nn.LayerNorm(6), [2, 3, 6]
    yield "layernorm_2d", nn.LayerNorm([3, 6], eps=1e-4), [2, 3, 6]
    yield "embedding", nn.Embedding(10, 4), ("int64", [2, 5], 10)
    yield "gru", RnnOutput(nn.GRU(4, 5)), [6, 2, 4]
    yield "lstm", RnnOutput(nn.LSTM(4, 5)), [6, 2, 4]
    yield "lstm_2layers_batchfirst", RnnOutput(nn.LSTM(4, 5, num_layers=2, batch_first=True)), [2, 6, 4]
    yield "nature_cnn", nature_cnn(), [2, 4, 36, 36]
    yield "embedding_gru_linear", EmbeddingGru(), ("int64", [2, 7], 12)


def numbers(t):
    return [float(f"{v:.9g}") for v in t.reshape(-1).tolist()]


def main():
    os.makedirs(HERE, exist_ok=True)
    torch.manual_seed(18)
    for name, model, spec in cases():
        model.eval()
        if isinstance(spec, tuple):
            _, shape, high = spec
            x = torch.randint(0, high, shape, dtype=torch.int64)
            data, dtype = x.reshape(-1).tolist(), "int64"
        else:
            x = torch.rand(spec) * 4 - 2
            data, dtype = numbers(x), "float32"
        with torch.no_grad():
            y = model(x)
        buffer = io.BytesIO()
        torch.onnx.export(model, (x,), buffer, opset_version=17, input_names=["input"], output_names=["output"])
        with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
            f.write(buffer.getvalue())
        case = {"input": {"shape": list(x.shape), "dtype": dtype, "data": data},
                "output": {"shape": list(y.shape), "data": numbers(y)}}
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump(case, f)
            f.write("\n")
        print(name, list(x.shape), "->", list(y.shape))


if __name__ == "__main__":
    main()
