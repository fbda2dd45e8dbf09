"""Seeds for the ONNX fuzz target: small PyTorch 1.13 exports (opset 17) that take a [1, 6] input, as the harness runs
them, and together touch most operators the importer knows. Run with Debian's python3 (python3-torch):
    /usr/bin/python3 tools/ArenaGrad.Fuzz/make_seeds.py tools/ArenaGrad.Fuzz/seeds
AFL++ grows the committed corpus (corpus/onnx) from these and engine.tests/Interop/data/mlp.onnx."""
import sys
import torch
from torch import nn

torch.manual_seed(0)
out = sys.argv[1]


class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 8)
        self.b = nn.Linear(8, 4)

    def forward(self, x):
        h = torch.tanh(self.a(x)) * torch.sigmoid(self.a(x)) + torch.relu(-x).sum(-1, keepdim=True)
        h = torch.cat([h, h.exp().log()], dim=-1).reshape(1, 4, 4).transpose(1, 2).reshape(1, 16)
        return torch.softmax(self.b(h[:, :8]), -1) + h.mean(-1, keepdim=True)


class Logic(nn.Module):
    def forward(self, x):
        m = (x > 0) & ~(x < -1)
        y = torch.where(m, x.abs().sqrt(), torch.nn.functional.elu(x))
        return torch.maximum(y, x.floor()).cumsum(-1) + x.argmax(-1, keepdim=True).float()


class Shapes(nn.Module):
    def forward(self, x):
        y = x.unsqueeze(0).expand(2, 1, 6).squeeze(1)
        a, b = y.split(3, dim=-1)
        return torch.cat([a.sin(), b.cos(), y.repeat(1, 2)], dim=-1).amax(0, keepdim=True)


for name, model in [("mixed", Mixed()), ("logic", Logic()), ("shapes", Shapes()),
                    ("mlp_gelu", nn.Sequential(nn.Linear(6, 16), nn.ELU(), nn.Linear(16, 16), nn.Softplus(), nn.Linear(16, 3), nn.LogSoftmax(-1)))]:
    torch.onnx.export(model, torch.randn(1, 6), f"{out}/{name}.onnx", opset_version=17, input_names=["input"], output_names=["output"])
    print(name)
