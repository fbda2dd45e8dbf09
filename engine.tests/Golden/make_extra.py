"""Generates Golden/extra/*.json: PyTorch reference programs for shapes and ops the shared golden set does not
reach (1-D and batched-broadcast matmul, broadcasting on both sides, softmax over leading dims, negative and
fractional powers, amax ties, clamp at its bounds, scalar-left operators, concat of three, 3-D linear).

Same format as Golden/data (see Golden/README.md). Run with Debian's PyTorch from the repository root:
    apt-get install -y python3-torch python3-numpy && /usr/bin/python3 engine.tests/Golden/make_extra.py
The output is committed; the tests never run Python.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20261127)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "extra")


def run(name, inputs, program, backward):
    tensors = {}
    spec = {}
    for key, (shape, requires_grad, values) in inputs.items():
        t = values if values is not None else torch.randn(shape)
        t = t.clone().float().reshape(shape).requires_grad_(requires_grad)
        tensors[key] = t
        spec[key] = {"shape": list(shape), "data": t.detach().flatten().tolist(), "requires_grad": requires_grad}
    ops = {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
        "exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
        "sqrt": torch.sqrt, "abs": torch.abs, "square": torch.square, "neg": torch.neg,
        "matmul": torch.matmul, "detach": lambda a: a.detach(),
    }
    expect = {}
    for step in program:
        args = [tensors[a] for a in step["args"]]
        attrs = step.get("attrs", {})
        op = step["op"]
        if op in ops:
            y = ops[op](*args)
        elif op == "mul_scalar":
            y = args[0] * attrs["scalar"]
        elif op == "add_scalar":
            y = args[0] + attrs["scalar"]
        elif op == "pow":
            y = args[0] ** attrs["exponent"]
        elif op == "clamp":
            y = torch.clamp(args[0], attrs["min"], attrs["max"])
        elif op == "leaky_relu":
            y = F.leaky_relu(args[0], attrs["slope"])
        elif op == "linear":
            y = F.linear(*args)
        elif op == "transpose":
            y = args[0].transpose(attrs["dim0"], attrs["dim1"])
        elif op == "reshape":
            y = args[0].reshape(attrs["shape"])
        elif op == "concat":
            y = torch.cat(args, attrs["dim"])
        elif op in ("sum", "mean"):
            f = torch.sum if op == "sum" else torch.mean
            y = f(args[0]) if attrs.get("dim") is None else f(args[0], attrs["dim"], keepdim=attrs.get("keepdim", False))
        elif op == "max":
            y = args[0].max() if attrs.get("dim") is None else torch.amax(args[0], attrs["dim"], keepdim=attrs.get("keepdim", False))
        elif op == "softmax":
            y = torch.softmax(args[0], attrs["dim"])
        elif op == "log_softmax":
            y = torch.log_softmax(args[0], attrs["dim"])
        elif op == "mse_loss":
            y = F.mse_loss(*args)
        elif op == "cross_entropy":
            y = F.cross_entropy(args[0], torch.tensor(attrs["targets"]))
        else:
            raise ValueError(op)
        tensors[step["out"]] = y
        expect[step["out"]] = {"shape": list(y.shape), "data": y.detach().flatten().tolist(), "requires_grad": y.requires_grad}
    root = tensors[backward]
    case = {"name": name, "torch": torch.__version__, "inputs": spec, "program": program, "backward": backward}
    try:
        root.backward() if root.numel() == 1 else root.backward(torch.ones_like(root))
    except RuntimeError as error:
        case["backward_error"] = str(error)
    case["expect"] = expect
    case["grads"] = {k: (None if tensors[k].grad is None else tensors[k].grad.flatten().tolist()) for k in inputs}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(case, f)


def step(out, op, *args, **attrs):
    return {"out": out, "op": op, "args": list(args), "attrs": attrs}


R = lambda *shape: (shape, True, None)
N = lambda *shape: (shape, False, None)

run("matmul_vector_vector", {"in0": R(5), "in1": R(5)}, [step("t0", "matmul", "in0", "in1")], "t0")
run("matmul_matrix_vector", {"in0": R(3, 5), "in1": R(5)}, [step("t0", "matmul", "in0", "in1"), step("t1", "sum", "t0", dim=None)], "t1")
run("matmul_vector_matrix", {"in0": R(5), "in1": R(5, 3)}, [step("t0", "matmul", "in0", "in1"), step("t1", "sum", "t0", dim=None)], "t1")
run("matmul_batch_broadcast", {"in0": R(2, 1, 3, 4), "in1": R(5, 4, 2)}, [step("t0", "matmul", "in0", "in1"), step("t1", "mean", "t0", dim=None)], "t1")
run("matmul_batched_times_matrix", {"in0": R(3, 2, 4), "in1": R(4, 5)}, [step("t0", "matmul", "in0", "in1"), step("t1", "tanh", "t0"), step("t2", "sum", "t1", dim=None)], "t2")
run("broadcast_both_sides", {"in0": R(4, 1, 3), "in1": R(1, 5, 1)}, [step("t0", "sub", "in0", "in1"), step("t1", "mul", "t0", "in1"), step("t2", "div", "t1", "in0"), step("t3", "sum", "t2", dim=None)], "t3")
run("broadcast_scalar_tensor", {"in0": R(), "in1": R(2, 3)}, [step("t0", "mul", "in0", "in1"), step("t1", "add", "t0", "in0"), step("t2", "sum", "t1", dim=None)], "t2")
run("softmax_leading_dim", {"in0": R(3, 4, 2)}, [step("t0", "softmax", "in0", dim=0), step("t1", "mul", "t0", "t0"), step("t2", "sum", "t1", dim=None)], "t2")
run("log_softmax_middle_dim", {"in0": R(2, 5, 3)}, [step("t0", "log_softmax", "in0", dim=1), step("t1", "square", "t0"), step("t2", "mean", "t1", dim=None)], "t2")
run("pow_negative_and_fraction", {"in0": ((6,), True, torch.tensor([0.5, 1.5, 2.0, 0.25, 3.0, 1.1]))},
    [step("t0", "pow", "in0", exponent=-2.5), step("t1", "pow", "in0", exponent=0.5), step("t2", "add", "t0", "t1"), step("t3", "sum", "t2", dim=None)], "t3")
run("pow_negative_base_integer", {"in0": ((5,), True, torch.tensor([-2.0, -0.5, 0.75, -1.25, 1.5]))},
    [step("t0", "pow", "in0", exponent=3.0), step("t1", "pow", "in0", exponent=-1.0), step("t2", "mul", "t0", "t1"), step("t3", "sum", "t2", dim=None)], "t3")
run("amax_ties", {"in0": ((2, 4), True, torch.tensor([1.0, 3.0, 3.0, 2.0, 5.0, 5.0, 5.0, -1.0]))},
    [step("t0", "max", "in0", dim=1, keepdim=False), step("t1", "sum", "t0", dim=None)], "t1")
run("max_all_ties", {"in0": ((2, 3), True, torch.tensor([4.0, 1.0, 4.0, 0.0, 4.0, 2.0]))}, [step("t0", "max", "in0")], "t0")
run("clamp_at_bounds", {"in0": ((6,), True, torch.tensor([-1.0, -0.5, 0.0, 0.5, 0.75, 2.0]))},
    [step("t0", "clamp", "in0", min=-0.5, max=0.75), step("t1", "mul", "t0", "in0"), step("t2", "sum", "t1", dim=None)], "t2")
run("relu_abs_at_zero", {"in0": ((4,), True, torch.tensor([0.0, -1.0, 2.0, 0.0]))},
    [step("t0", "relu", "in0"), step("t1", "abs", "in0"), step("t2", "add", "t0", "t1"), step("t3", "sum", "t2", dim=None)], "t3")
run("concat_three_last_dim", {"in0": R(2, 3, 1), "in1": N(2, 3, 2), "in2": R(2, 3, 4)},
    [step("t0", "concat", "in0", "in1", "in2", dim=-1), step("t1", "sigmoid", "t0"), step("t2", "sum", "t1", dim=None)], "t2")
run("linear_3d_input", {"in0": N(2, 3, 4), "in1": R(5, 4), "in2": R(5)},
    [step("t0", "linear", "in0", "in1", "in2"), step("t1", "relu", "t0"), step("t2", "mean", "t1", dim=None)], "t2")
run("linear_1d_input_no_bias", {"in0": R(4), "in1": R(3, 4)}, [step("t0", "linear", "in0", "in1"), step("t1", "sum", "t0", dim=None)], "t1")
run("transpose_3d_outer", {"in0": R(2, 3, 4), "in1": N(4, 3, 2)},
    [step("t0", "transpose", "in0", dim0=0, dim1=2), step("t1", "mul", "t0", "in1"), step("t2", "sum", "t1", dim=None)], "t2")
run("reshape_infer_first", {"in0": R(2, 6)}, [step("t0", "reshape", "in0", shape=[-1, 4]), step("t1", "exp", "t0"), step("t2", "sum", "t1", dim=0, keepdim=True), step("t3", "sum", "t2", dim=None)], "t3")
run("mean_keepdim_broadcast_back", {"in0": R(3, 4)},
    [step("t0", "mean", "in0", dim=1, keepdim=True), step("t1", "sub", "in0", "t0"), step("t2", "square", "t1"), step("t3", "mean", "t2", dim=None)], "t3")
run("leaky_relu_large_slope", {"in0": R(3, 3)}, [step("t0", "leaky_relu", "in0", slope=0.3), step("t1", "sum", "t0", dim=None)], "t1")
run("scalar_ops_chain", {"in0": ((4,), True, torch.tensor([0.5, 1.0, 2.0, 4.0]))},
    [step("t0", "mul_scalar", "in0", scalar=-1.5), step("t1", "add_scalar", "t0", scalar=3.0), step("t2", "div", "t1", "in0"), step("t3", "sqrt", "in0"), step("t4", "mul", "t2", "t3"), step("t5", "sum", "t4", dim=None)], "t5")
run("nongrad_root_error", {"in0": N(3), "in1": N(3)}, [step("t0", "mul", "in0", "in1"), step("t1", "sum", "t0", dim=None)], "t1")
run("mse_and_cross_entropy_shared_logits", {"in0": R(3, 4), "in1": N(3, 4)},
    [step("t0", "mse_loss", "in0", "in1"), step("t1", "cross_entropy", "in0", targets=[3, 0, 2]), step("t2", "add", "t0", "t1")], "t2")
print("wrote", len(os.listdir(OUT)), "cases to", OUT)
