"""Writes data/losses_extra.json: PyTorch 1.13 values and gradients of the losses for what losses.json does not
cover (reduction='none' with an upstream gradient, target gradients, ignore_index, label smoothing with ignored
rows, a [C] input, beta = 0, ties at beta/delta). Run with /usr/bin/python3 (torch 1.13)."""
import json, torch, torch.nn.functional as F

torch.manual_seed(13)
cases = []

def tolist(t):
    # JSON has no NaN: it is written as null.
    return [None if v != v else v for v in t.detach().reshape(-1).tolist()]

def add(name, loss, kwargs, x, target, reduction, grad=None, target_grad=False):
    x = x.clone().requires_grad_(True)
    is_classes = target.dtype == torch.long
    t = target.clone()
    if target_grad and not is_classes:
        t.requires_grad_(True)
    inp = x.log_softmax(-1) if loss == "nll_loss_over_log_softmax" else x
    fn = {"mse_loss": F.mse_loss, "l1_loss": F.l1_loss, "smooth_l1_loss": F.smooth_l1_loss, "huber_loss": F.huber_loss,
          "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
          "nll_loss_over_log_softmax": F.nll_loss, "cross_entropy": F.cross_entropy}[loss]
    y = fn(inp, t, reduction=reduction, **kwargs)
    upstream = grad if grad is not None else torch.ones_like(y)
    y.backward(upstream)
    case = {"name": name, "loss": loss, "kwargs": kwargs, "reduction": reduction,
            "input": {"shape": list(x.shape), "data": tolist(x)},
            "value": {"shape": list(y.shape), "data": tolist(y)},
            "upstream": tolist(upstream), "grad_fn": type(y.grad_fn).__name__,
            "input_grad": tolist(x.grad)}
    if is_classes:
        case["classes"] = t.tolist() if t.dim() > 0 else [t.item()]
    else:
        case["target"] = tolist(t)
        if target_grad:
            case["target_grad"] = tolist(t.grad)
    cases.append(case)

x = torch.randn(5, 7) * 2
b = torch.randn(5, 7)
p = torch.rand(5, 7)
for reduction in ["none", "sum", "mean"]:
    g = torch.randn(5, 7) if reduction == "none" else None
    add(f"mse {reduction}", "mse_loss", {}, x, b, reduction, g, target_grad=True)
    add(f"l1 {reduction}", "l1_loss", {}, x, b, reduction, g, target_grad=True)
    add(f"smooth_l1 beta=0.7 {reduction}", "smooth_l1_loss", {"beta": 0.7}, x, b, reduction, g, target_grad=True)
    add(f"huber delta=0.8 {reduction}", "huber_loss", {"delta": 0.8}, x, b, reduction, g, target_grad=True)
    add(f"bce_with_logits {reduction}", "binary_cross_entropy_with_logits", {}, x, p, reduction, g, target_grad=True)

# ties: |a - b| exactly at beta / delta, and a == b, beta = 0
tie_x = torch.tensor([[0.5, -0.5, 0.0, 1.0], [2.0, -2.0, 0.25, -1.0]])
tie_b = torch.zeros(2, 4)
for reduction in ["sum", "mean"]:
    add(f"smooth_l1 ties beta=0.5 {reduction}", "smooth_l1_loss", {"beta": 0.5}, tie_x, tie_b, reduction, target_grad=True)
    add(f"smooth_l1 beta=0 {reduction}", "smooth_l1_loss", {"beta": 0.0}, tie_x, tie_b, reduction, target_grad=True)
    add(f"huber ties delta=2 {reduction}", "huber_loss", {"delta": 2.0}, tie_x, tie_b, reduction, target_grad=True)
    add(f"l1 ties {reduction}", "l1_loss", {}, tie_x, tie_b, reduction, target_grad=True)

logits = torch.randn(6, 5) * 3
classes = torch.tensor([4, -100, 0, 2, -100, 1])
for reduction in ["none", "sum", "mean"]:
    g = torch.randn(6) if reduction == "none" else None
    add(f"nll ignore {reduction}", "nll_loss_over_log_softmax", {}, logits, classes, reduction, g)
    add(f"cross_entropy ignore {reduction}", "cross_entropy", {}, logits, classes, reduction, g)
    add(f"cross_entropy ignore smoothing=0.25 {reduction}", "cross_entropy", {"label_smoothing": 0.25}, logits, classes, reduction, g)
    add(f"cross_entropy ignore_index=2 {reduction}", "cross_entropy", {"ignore_index": 2}, logits, torch.tensor([4, 2, 0, 2, 3, 1]), reduction, g)
    add(f"cross_entropy smoothing=1 {reduction}", "cross_entropy", {"label_smoothing": 1.0}, logits, torch.tensor([4, 3, 0, 2, 3, 1]), reduction, g)
add("cross_entropy all ignored mean", "cross_entropy", {}, logits[:2], torch.tensor([-100, -100]), "mean")
add("cross_entropy all ignored smoothing mean", "cross_entropy", {"label_smoothing": 0.1}, logits[:2], torch.tensor([-100, -100]), "mean")
add("cross_entropy [C] input", "cross_entropy", {}, logits[0], torch.tensor(3), "mean")
add("cross_entropy [C] input none", "cross_entropy", {}, logits[0], torch.tensor(3), "none", torch.tensor(0.5))
add("nll [C] input sum", "nll_loss_over_log_softmax", {}, logits[1], torch.tensor(2), "sum")
big = torch.randn(3, 40) * 4  # rows longer than one vector
add("cross_entropy 40 classes smoothing=0.1 mean", "cross_entropy", {"label_smoothing": 0.1}, big, torch.tensor([39, 0, 17]), "mean")

with open("data/losses_extra.json", "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, allow_nan=False)
print(len(cases), "cases")
