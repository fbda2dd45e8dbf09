"""Golden/double/losses: second derivatives of the fused losses against PyTorch 1.13 (issue 17).

Each program applies a loss to something nonlinear in two inputs, typically loss(tanh(x * w), t) with w broadcast, so
that the second derivatives with respect to x and w (and the target, where the loss gives it a gradient) are not
trivial. Every reduction, ignore_index, label smoothing, the [C] input form and class targets given as a list (the
operand buffer) or as an Int32 tensor are covered; a 'none' loss is weighted before the sum so that each element's g
differs. Differences stay away from the kinks of l1, smooth_l1 and huber (except where a case is about β = 0, whose
second derivative PyTorch defines as 0 everywhere). See golden_ops.py for the format.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_double_losses.py
"""
import torch
import torch.nn.functional as F

from golden_ops import Case

torch.manual_seed(20261217)
REDUCTIONS = ["mean", "sum", "none"]


def ints(values, shape=None):
    t = torch.tensor(values, dtype=torch.int32)
    return t.reshape(shape) if shape is not None else t


def case(name):
    return Case("losses", name, root="double")


def tanh_of_product(c, x_shape, w_shape, out="y"):
    """Inputs x and w (both requiring grad) and the step out = tanh(x * w)."""
    c.input("x", torch.randn(*x_shape), requires_grad=True)
    c.input("w", torch.rand(*w_shape) * 1.5 + 0.25, requires_grad=True)
    c.op("xw", "mul", ["x", "w"], {}, lambda a, b: a * b)
    return c.op(out, "tanh", ["xw"], {}, torch.tanh)


def finish(c, loss, reduction):
    """Saves with loss as the root; a 'none' loss is first weighted by a fixed c_loss and summed."""
    root = loss
    if reduction == "none":
        y = c.tensors[loss]
        c.input("c_loss", torch.arange(1, y.numel() + 1, dtype=torch.float32).reshape(y.shape) * 0.3 - 0.7)
        c.op("weighted", "mul", [loss, "c_loss"], {}, lambda a, b: a * b)
        c.op("root", "sum", ["weighted"], {"dim": None}, torch.sum)
        root = "root"
    c.save(backward=root, double=True)


def target_at(y, differences):
    """A target t = y - d for the given differences d, so that y - t avoids (or sits on) a kink as the case needs."""
    return (y.detach() - torch.tensor(differences).reshape(y.shape)).clone()


# ---- pointwise losses ------------------------------------------------------------------------------------------
# differences y - t, none within 0.05 of 0, ±0.7 (β) or ±0.8 (δ)
DIFFERENCES = [-1.6, -0.9, -0.45, -0.1, 0.15, 0.5, 0.95, 1.3, -0.3, 0.6, -1.1, 0.25]

for reduction in REDUCTIONS:
    c = case(f"mse_loss_{reduction}")
    y = tanh_of_product(c, (3, 4), (4,))
    c.input("t", torch.randn(3, 4), requires_grad=True)
    c.op("loss", "mse_loss_reduction", ["y", "t"], {"reduction": reduction},
         lambda a, b, r=reduction: F.mse_loss(a, b, reduction=r))
    finish(c, "loss", reduction)

    c = case(f"l1_loss_{reduction}")
    y = tanh_of_product(c, (3, 4), (4,))
    c.input("t", target_at(y, DIFFERENCES), requires_grad=True)
    c.op("loss", "l1_loss", ["y", "t"], {"reduction": reduction}, lambda a, b, r=reduction: F.l1_loss(a, b, reduction=r))
    finish(c, "loss", reduction)

    c = case(f"smooth_l1_loss_beta_0.7_{reduction}")
    y = tanh_of_product(c, (3, 4), (4,))
    c.input("t", target_at(y, DIFFERENCES), requires_grad=True)
    c.op("loss", "smooth_l1_loss", ["y", "t"], {"reduction": reduction, "beta": 0.7},
         lambda a, b, r=reduction: F.smooth_l1_loss(a, b, reduction=r, beta=0.7))
    finish(c, "loss", reduction)

    c = case(f"huber_loss_delta_0.8_{reduction}")
    y = tanh_of_product(c, (3, 4), (4,))
    c.input("t", target_at(y, DIFFERENCES), requires_grad=True)
    c.op("loss", "huber_loss", ["y", "t"], {"reduction": reduction, "delta": 0.8},
         lambda a, b, r=reduction: F.huber_loss(a, b, reduction=r, delta=0.8))
    finish(c, "loss", reduction)

    c = case(f"bce_with_logits_{reduction}")
    c.input("x", torch.randn(3, 4), requires_grad=True)
    c.input("w", torch.rand(4) * 2 + 0.5, requires_grad=True)
    c.op("logits", "mul", ["x", "w"], {}, lambda a, b: a * b)
    c.input("t", torch.rand(3, 4), requires_grad=True)
    c.op("loss", "binary_cross_entropy_with_logits", ["logits", "t"], {"reduction": reduction},
         lambda a, b, r=reduction: F.binary_cross_entropy_with_logits(a, b, reduction=r))
    finish(c, "loss", reduction)

# smooth_l1 with β = 0 is the l1 loss with PyTorch's smooth_l1 kernel: its second derivative is 0
c = case("smooth_l1_loss_beta_0_mean")
y = tanh_of_product(c, (3, 4), (4,))
c.input("t", target_at(y, DIFFERENCES), requires_grad=True)
c.op("loss", "smooth_l1_loss", ["y", "t"], {"reduction": "mean", "beta": 0.0},
     lambda a, b: F.smooth_l1_loss(a, b, beta=0.0))
finish(c, "loss", "mean")

# huber and smooth_l1 whose target takes no gradient, with the 1-element and rank-3 shapes
c = case("huber_and_smooth_l1_rank_3_fixed_target")
y = tanh_of_product(c, (2, 3, 2), (3, 1))
c.input("t", target_at(y, DIFFERENCES))
c.op("h", "huber_loss", ["y", "t"], {"reduction": "sum", "delta": 0.8}, lambda a, b: F.huber_loss(a, b, reduction="sum", delta=0.8))
c.op("s", "smooth_l1_loss", ["y", "t"], {"reduction": "mean", "beta": 0.7}, lambda a, b: F.smooth_l1_loss(a, b, beta=0.7))
c.op("both", "add", ["h", "s"], {}, lambda a, b: a + b)
c.save(backward="both", double=True)

# ---- class-index losses ------------------------------------------------------------------------------------------
# targets with repeats; -100 (the default ignore_index) or 2 (a chosen one) mark ignored rows
TARGETS = [1, 4, -100, 0, 4]
TARGETS_IGNORE_2 = [2, 3, 0, 2, 1]

for reduction in REDUCTIONS:
    c = case(f"nll_loss_list_{reduction}")
    tanh_of_product(c, (5, 5), (5,))
    c.op("loss", "nll_loss_list", ["y"], {"reduction": reduction, "targets": TARGETS, "ignore_index": -100},
         lambda a, r=reduction: F.nll_loss(a, torch.tensor(TARGETS), reduction=r))
    finish(c, "loss", reduction)

    c = case(f"nll_loss_tensor_ignore_2_{reduction}")
    tanh_of_product(c, (5, 4), (4,))
    c.input("targets", ints(TARGETS_IGNORE_2))
    c.op("loss", "nll_loss_tensor", ["y", "targets"], {"reduction": reduction, "ignore_index": 2},
         lambda a, t, r=reduction: F.nll_loss(a, t.long(), reduction=r, ignore_index=2))
    finish(c, "loss", reduction)

    for smoothing in [0.0, 0.2]:
        tag = "smoothed_" if smoothing > 0 else ""
        c = case(f"cross_entropy_list_{tag}{reduction}")
        tanh_of_product(c, (5, 5), (5,), out="y0")
        c.op("y", "mul_scalar", ["y0"], {"scalar": 2.5}, lambda a: a * 2.5)
        c.op("loss", "cross_entropy_list", ["y"],
             {"reduction": reduction, "targets": TARGETS, "label_smoothing": smoothing, "ignore_index": -100},
             lambda a, r=reduction, s=smoothing: F.cross_entropy(a, torch.tensor(TARGETS), reduction=r, label_smoothing=s))
        finish(c, "loss", reduction)

        c = case(f"cross_entropy_tensor_ignore_2_{tag}{reduction}")
        c.input("x", torch.randn(5, 4), requires_grad=True)
        c.input("w", torch.rand(4) * 1.5 + 0.25, requires_grad=True)
        c.op("y", "mul", ["x", "w"], {}, lambda a, b: a * b)
        c.input("targets", ints(TARGETS_IGNORE_2))
        c.op("loss", "cross_entropy_tensor", ["y", "targets"],
             {"reduction": reduction, "label_smoothing": smoothing, "ignore_index": 2},
             lambda a, t, r=reduction, s=smoothing: F.cross_entropy(a, t.long(), reduction=r, label_smoothing=s, ignore_index=2))
        finish(c, "loss", reduction)

# a [C] input with its one target, as a list and as a 0-d tensor
c = case("class_losses_1d_input")
tanh_of_product(c, (6,), (6,))
c.input("t0", torch.tensor(3, dtype=torch.int32))
c.op("ce", "cross_entropy_list", ["y"], {"reduction": "mean", "targets": [3], "label_smoothing": 0.1, "ignore_index": -100},
     lambda a: F.cross_entropy(a, torch.tensor(3), label_smoothing=0.1))
c.op("nll", "nll_loss_tensor", ["y", "t0"], {"reduction": "none", "ignore_index": -100},
     lambda a, t: F.nll_loss(a, t.long(), reduction="none"))
c.op("ce_t", "cross_entropy_tensor", ["y", "t0"], {"reduction": "sum", "label_smoothing": 0.0, "ignore_index": -100},
     lambda a, t: F.cross_entropy(a, t.long(), reduction="sum"))
c.op("r0", "add", ["ce", "nll"], {}, lambda a, b: a + b)
c.op("r1", "add", ["r0", "ce_t"], {}, lambda a, b: a + b)
c.save(backward="r1", double=True)

# every row ignored: the mean is NaN, the gradient 0
c = case("cross_entropy_all_ignored_sum")
tanh_of_product(c, (2, 3), (3,))
c.op("loss", "cross_entropy_list", ["y"], {"reduction": "sum", "targets": [-100, -100], "label_smoothing": 0.3, "ignore_index": -100},
     lambda a: F.cross_entropy(a, torch.tensor([-100, -100]), reduction="sum", label_smoothing=0.3))
c.save(backward="loss", double=True)

# ---- cross-entropy with class probabilities (a float target that takes a gradient) ----------------------------------
for reduction in REDUCTIONS:
    for smoothing in [0.0, 0.15]:
        tag = "smoothed_" if smoothing > 0 else ""
        c = case(f"cross_entropy_probabilities_{tag}{reduction}")
        c.input("x", torch.randn(4, 5), requires_grad=True)
        c.input("w", torch.rand(5) * 1.5 + 0.25, requires_grad=True)
        c.op("y", "mul", ["x", "w"], {}, lambda a, b: a * b)
        c.input("t", torch.softmax(torch.randn(4, 5), 1), requires_grad=True)
        c.op("loss", "cross_entropy_tensor", ["y", "t"], {"reduction": reduction, "label_smoothing": smoothing, "ignore_index": -100},
             lambda a, t, r=reduction, s=smoothing: F.cross_entropy(a, t, reduction=r, label_smoothing=s))
        finish(c, "loss", reduction)

c = case("cross_entropy_probabilities_1d_input")
tanh_of_product(c, (5,), (5,))
c.input("t", torch.tensor([0.1, 0.5, 0.0, 0.3, 0.1]), requires_grad=True)
c.op("loss", "cross_entropy_tensor", ["y", "t"], {"reduction": "mean", "label_smoothing": 0.05, "ignore_index": -100},
     lambda a, t: F.cross_entropy(a, t, label_smoothing=0.05))
c.save(backward="loss", double=True)

# ---- the kinks ------------------------------------------------------------------------------------------------------
# differences exactly 0, ±β (0.5) and ±δ (1.5), and beyond: PyTorch's kernels compare x ≤ −k and x ≥ k for the first
# derivative (so x = 0 with β = 0 takes −1) and its double backward masks with |x| < k (0 on the kink itself)
for reduction in ["mean", "none"]:
    c = case(f"pointwise_losses_at_kinks_{reduction}")
    c.input("x", torch.tensor([0.5, -0.5, 0.25, 1.0, 2.0, -1.5, 0.0, 3.0]), requires_grad=True)
    c.input("w", torch.ones(8), requires_grad=True)
    c.op("y", "mul", ["x", "w"], {}, lambda a, b: a * b)
    c.input("t", torch.tensor([0.0, 0.0, 0.25, -0.5, 0.5, 0.0, 0.0, 1.25]), requires_grad=True)
    names = []
    for name, op, attrs, fn in [
            ("l1", "l1_loss", {}, lambda a, b, r: F.l1_loss(a, b, reduction=r)),
            ("s05", "smooth_l1_loss", {"beta": 0.5}, lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.5)),
            ("s0", "smooth_l1_loss", {"beta": 0.0}, lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.0)),
            ("h15", "huber_loss", {"delta": 1.5}, lambda a, b, r: F.huber_loss(a, b, reduction=r, delta=1.5)),
            ("mse", "mse_loss_reduction", {}, lambda a, b, r: F.mse_loss(a, b, reduction=r))]:
        c.op(name, op, ["y", "t"], dict(attrs, reduction=reduction), lambda a, b, fn=fn, r=reduction: fn(a, b, r))
        names.append(name)
    c.op("s0_", "add", ["l1", "s05"], {}, lambda a, b: a + b)
    c.op("s1_", "add", ["s0_", "s0"], {}, lambda a, b: a + b)
    c.op("s2_", "add", ["s1_", "h15"], {}, lambda a, b: a + b)
    c.op("loss", "add", ["s2_", "mse"], {}, lambda a, b: a + b)
    finish(c, "loss", reduction)
