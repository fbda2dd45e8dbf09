"""PyTorch 1.13 references for convolution and pooling (issue 18): run with /usr/bin/python3 from engine.tests/Golden.
Writes layers/conv/cases.json: per case the module's options, its repr, the weights by name, the input, the output,
a non-uniform upstream gradient, and the gradient of the input and of every parameter."""
import json, os
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(18)

def flat(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}

def run(name, kind, options, module, input_shape, ties=False):
    x = torch.randn(*input_shape)
    if ties:  # integer values so windows hold equal maxima: PyTorch picks the first one in the window
        x = torch.randint(0, 3, input_shape).float()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    x.requires_grad_(True)
    y = module(x)
    g = torch.linspace(-1.0, 1.5, y.numel()).reshape(y.shape) + 0.25 * torch.randn(y.shape)
    y.backward(g)
    case = {"name": name, "kind": kind, "options": options, "repr": repr(module),
            "input": flat(x), "output": flat(y), "grad_output": flat(g), "grad_input": flat(x.grad),
            "grad_fn": type(y.grad_fn).__name__,
            "parameters": {n: flat(p) for n, p in module.named_parameters()},
            "parameter_grads": {n: flat(p.grad) for n, p in module.named_parameters()}}
    cases.append(case)

cases = []
# Conv2d: options are the constructor's, as ints or [h, w] pairs
def conv2d(name, shape, cin, cout, k, s=1, p=0, d=1, groups=1, bias=True):
    m = nn.Conv2d(cin, cout, k, s, p, d, groups, bias)
    run(name, "conv2d", {"in": cin, "out": cout, "kernel": k, "stride": s, "padding": p, "dilation": d, "groups": groups, "bias": bias}, m, shape)

conv2d("conv2d_basic", (1, 2, 5, 5), 2, 3, 3)
conv2d("conv2d_batch3_stride2_pad1", (3, 2, 7, 6), 2, 4, 3, s=2, p=1)
conv2d("conv2d_nonsquare", (2, 3, 6, 9), 3, 2, [2, 4], s=[1, 2], p=[1, 0], d=[2, 1])
conv2d("conv2d_dilation2", (1, 2, 9, 8), 2, 3, 3, d=2, p=2)
conv2d("conv2d_groups2_nobias", (3, 4, 6, 6), 4, 6, 3, p=1, groups=2, bias=False)
conv2d("conv2d_depthwise", (2, 3, 7, 7), 3, 6, 3, s=2, p=1, groups=3)
conv2d("conv2d_unbatched", (2, 5, 4), 2, 3, [3, 2], p=[0, 1])
conv2d("conv2d_1x1", (2, 5, 3, 4), 5, 4, 1)
conv2d("conv2d_nature1", (1, 4, 20, 20), 4, 8, 8, s=4)
conv2d("conv2d_stride_gt_kernel", (1, 2, 9, 9), 2, 2, 2, s=3, p=1)

def conv1d(name, shape, cin, cout, k, s=1, p=0, d=1, groups=1, bias=True):
    m = nn.Conv1d(cin, cout, k, s, p, d, groups, bias)
    run(name, "conv1d", {"in": cin, "out": cout, "kernel": k, "stride": s, "padding": p, "dilation": d, "groups": groups, "bias": bias}, m, shape)

conv1d("conv1d_basic", (1, 2, 7), 2, 3, 3)
conv1d("conv1d_batch3_all", (3, 4, 11), 4, 6, 3, s=2, p=2, d=2, groups=2)
conv1d("conv1d_depthwise_nobias", (2, 3, 8), 3, 3, 2, groups=3, bias=False)
conv1d("conv1d_unbatched", (2, 6), 2, 4, 3, p=1)

def pool(name, kind, module, shape, options, ties=False):
    run(name, kind, options, module, shape, ties)

pool("maxpool_basic", "maxpool2d", nn.MaxPool2d(2), (1, 2, 4, 6), {"kernel": 2, "stride": None, "padding": 0})
pool("maxpool_stride1_pad1", "maxpool2d", nn.MaxPool2d(3, 1, 1), (2, 3, 5, 4), {"kernel": 3, "stride": 1, "padding": 1})
pool("maxpool_ties", "maxpool2d", nn.MaxPool2d(2, 1), (1, 2, 4, 4), {"kernel": 2, "stride": 1, "padding": 0}, ties=True)
pool("maxpool_overlap_ties", "maxpool2d", nn.MaxPool2d(3, 2, 1), (2, 1, 7, 6), {"kernel": 3, "stride": 2, "padding": 1}, ties=True)
pool("maxpool_nonsquare", "maxpool2d", nn.MaxPool2d((2, 3), (1, 2), (1, 1)), (1, 2, 5, 7), {"kernel": [2, 3], "stride": [1, 2], "padding": [1, 1]})
pool("maxpool_unbatched", "maxpool2d", nn.MaxPool2d(2), (3, 5, 5), {"kernel": 2, "stride": None, "padding": 0})
pool("avgpool_basic", "avgpool2d", nn.AvgPool2d(2), (1, 2, 4, 6), {"kernel": 2, "stride": None, "padding": 0})
pool("avgpool_stride2_pad1", "avgpool2d", nn.AvgPool2d(3, 2, 1), (2, 3, 7, 6), {"kernel": 3, "stride": 2, "padding": 1})
pool("avgpool_nonsquare", "avgpool2d", nn.AvgPool2d((2, 3), (1, 2), (1, 1)), (1, 2, 5, 7), {"kernel": [2, 3], "stride": [1, 2], "padding": [1, 1]})
pool("avgpool_unbatched", "avgpool2d", nn.AvgPool2d(3, 1), (2, 5, 4), {"kernel": 3, "stride": 1, "padding": 0})
pool("adaptive_divisible", "adaptiveavgpool2d", nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 4, 6), {"output": [2, 3]})
pool("adaptive_nondivisible", "adaptiveavgpool2d", nn.AdaptiveAvgPool2d((3, 4)), (1, 3, 7, 5), {"output": [3, 4]})
pool("adaptive_upsample", "adaptiveavgpool2d", nn.AdaptiveAvgPool2d((5, 3)), (1, 1, 3, 2), {"output": [5, 3]})
pool("adaptive_unbatched", "adaptiveavgpool2d", nn.AdaptiveAvgPool2d((1, 1)), (3, 4, 5), {"output": [1, 1]})

class Unfold(nn.Module):
    def __init__(self, **kw):
        super().__init__(); self.kw = kw
    def forward(self, x): return F.unfold(x, **self.kw)
class Fold(nn.Module):
    def __init__(self, **kw):
        super().__init__(); self.kw = kw
    def forward(self, x): return F.fold(x, **self.kw)

for name, shape, kw in [("unfold_basic", (2, 2, 4, 5), dict(kernel_size=2)),
                        ("unfold_all", (1, 3, 7, 6), dict(kernel_size=(3, 2), dilation=(1, 2), padding=(1, 1), stride=(2, 1)))]:
    run(name, "unfold", {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}, Unfold(**kw), shape)
for name, shape, kw in [("fold_basic", (2, 8, 12), dict(output_size=(4, 5), kernel_size=2)),
                        ("fold_all", (1, 12, 24), dict(output_size=(7, 6), kernel_size=(3, 2), dilation=(1, 2), padding=(1, 1), stride=(2, 1)))]:
    run(name, "fold", {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}, Fold(**kw), shape)

os.makedirs("layers/conv", exist_ok=True)
with open("layers/conv/cases.json", "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(len(cases), "cases")
