#!/usr/bin/env python3
"""Runs the ArenaGrad benchmark workloads in PyTorch, single-threaded, and reports medians.

Workloads (the same as perf/ArenaGrad.Benchmarks):
  op_chain_w0                W0: 100 elementwise ops on 16 floats that require grad (y + x, y * 0.5, tanh, y * x,
                             25 times), y.backward(ones), x.grad = None; reported per op (median / 100)
  ppo_clipped_objective_b128 PPO's clipped objective on 128 rows of 2 logits (log_softmax, gather, exp, clamp,
                             minimum, mean), backward to the logits, grad set to None (issue 16's ported snippet)
  mlp_inference_batch1       MLP 32-64-64-4 with tanh, batch 1, under torch.no_grad()
  tanh_forward_backward_1m   y = x.tanh() over 2**20 floats (x requires grad), y.backward(ones), x.grad = None
  mlp_training_step_batch32  MLP 32-64-64-4 with tanh, batch 32, cross-entropy, backward, SGD under no_grad,
                             grads set to None
  mlp_adam_step_w2           W2: nn.Sequential MLP 64-128-128-8 with ReLU, batch 32, MSE, backward,
                             torch.optim.Adam(lr=1e-3) step, zero_grad() (grads set to None) first
  sgemm_nn_N / sgemm_nt_512  W3: torch.mm(a, b) and F.linear(a, w) (a @ w.T) on N x N float32 matrices, no grad
  linear_forward[_backward]_INxOUT  W3 training shapes: F.linear(x[32, IN], w[OUT, IN]) under no_grad, or with
                             (y * g).sum().backward() (NN and TN products), grads set to None
  frozen_extractor_wW /      W5: extractor Linear 64-W, ReLU, Linear W-W, ReLU (frozen, or trainable) and a trainable
  all_trainable_wW               head Linear W-8; batch 32, MSE, backward, SGD; W5 = frozen / all-trainable time
  gradient_penalty_tanh /    WGAN-GP critic step: nn.Sequential MLP 4-64-64-1 (tanh, or ReLU), batch 64; alpha ~ U(0, 1)
  gradient_penalty_relu      per row, x = alpha * real + (1 - alpha) * fake, requires_grad_(); the input gradient from
                             torch.autograd.grad(create_graph=True), penalty 10 * mean((|grad|_2 - 1)^2) with the norm
                             as sqrt(sum(g^2, 1) + 1e-12); loss = mean D(fake) - mean D(real) + penalty, backward,
                             Adam(lr=1e-4, betas=(0.5, 0.9)), zero_grad() first
  pinn_training_step         tools/ArenaGrad.Pinn's step at its defaults: MLP 1-32-32-1 tanh u(t) at 64 points of
                             [0, 5] (fed as 2t/5 - 1); u', u'' from two autograd.grad(create_graph=True) calls; loss =
                             mean(((u'' + 0.4 u' + 4 u) / 4)^2) + (u(0) - 1)^2 + (u'(0) / 2)^2; backward, Adam(lr=1e-2),
                             CosineAnnealingLR(T_max=3000) step, zero_grad() first
  gru_cell_step_hN /         Issue 18's recurrent latency: one nn.GRUCell / nn.LSTMCell step, input and hidden size N,
  lstm_cell_step_hN          batch 1, state carried from call to call, under torch.no_grad()
  gru_training_batch32       nn.GRU(32, 64) over a [64, 32, 32] sequence (seq 64, batch 32), MSE of the output sequence
                             against a fixed target, backward, Adam(lr=1e-3) step, zero_grad() first
  nature_cnn_forward_batch1  the Nature DQN trunk (conv 32@8x8/4, ReLU, 64@4x4/2, ReLU, 64@3x3/1, ReLU, flatten,
                             linear 3136-512, ReLU) on a [1, 4, 84, 84] input under torch.no_grad()
  nature_cnn_training_batch32 the same trunk on [32, 4, 84, 84], (y * g).sum().backward(), grads set to None
  entity_encoder_batch32     one nn.TransformerEncoderLayer(d_model 64, 4 heads, dim_feedforward 256, dropout 0,
                             batch_first) over [32, 16, 64] entities, (y * g).sum().backward(), grads set to None

Each workload is warmed up, then timed call by call with time.perf_counter_ns over many repetitions; the
median is reported. If BenchmarkDotNet's CSV reports exist (BenchmarkDotNet.Artifacts/results/*-report.csv,
written by a run of perf/ArenaGrad.Benchmarks from the repository root), their medians are read and the
ratio PyTorch / ArenaGrad is printed (> 1 means ArenaGrad is faster).

Setup (Debian 12): apt-get update && apt-get install -y python3-torch python3-numpy libopenblas0-pthread
Run from the repository root with Debian's interpreter: /usr/bin/python3 perf/pytorch/compare.py
"""

import argparse
import csv
import glob
import math
import os
import platform
import statistics
import time

# torch.set_num_threads(1) does not reach Debian's OpenBLAS, which would run matrix products on every core;
# pin it before torch loads it, so both sides use one core.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402  (after the thread pins above)
import torch.nn.functional as F  # noqa: E402

BDN_NAMES = {
    "op_chain_w0": "OpChainForwardBackward",
    "ppo_clipped_objective_b128": "PpoClippedObjectiveB128",
    "mlp_inference_batch1": "MlpInferenceBatch1",
    "tanh_forward_backward_1m": "TanhForwardBackward1M",
    "mlp_training_step_batch32": "MlpTrainingStepBatch32",
    "mlp_adam_step_w2": "MlpAdamTrainingStepW2",
    "sgemm_nn_256": "SgemmNN/256",
    "sgemm_nn_512": "SgemmNN/512",
    "sgemm_nn_1024": "SgemmNN/1024",
    "sgemm_nt_512": "SgemmNT/512",
    **{f"linear_forward_{layer}": f"LinearForwardNT/{layer}" for layer in ("64x128", "128x128", "128x8", "256x256")},
    **{f"linear_forward_backward_{layer}": f"LinearForwardBackward/{layer}"
       for layer in ("64x128", "128x128", "128x8", "256x256")},
    "frozen_extractor_w128": "FrozenExtractorStep/128",
    "all_trainable_w128": "AllTrainableStep/128",
    "frozen_extractor_w512": "FrozenExtractorStep/512",
    "all_trainable_w512": "AllTrainableStep/512",
    "gradient_penalty_tanh": "GradientPenaltyCriticStepTanh",
    "gradient_penalty_relu": "GradientPenaltyCriticStepRelu",
    "pinn_training_step": "PinnTrainingStep",
    "gru_cell_step_h32": "GruCellStep/32",
    "gru_cell_step_h64": "GruCellStep/64",
    "lstm_cell_step_h32": "LstmCellStep/32",
    "lstm_cell_step_h64": "LstmCellStep/64",
    "gru_training_batch32": "GruTrainingBatch32",
    "nature_cnn_forward_batch1": "NatureCnnForwardBatch1",
    "nature_cnn_training_batch32": "NatureCnnTrainingBatch32",
    "entity_encoder_batch32": "EntityEncoderTrainingBatch32",
}


def median_ns(fn, repetitions, warmup):
    for _ in range(warmup):
        fn()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(repetitions):
        start = clock()
        fn()
        samples.append(clock() - start)
    return statistics.median(samples), len(samples)


def linear_params(in_features, out_features):
    bound = 1.0 / math.sqrt(in_features)
    w = torch.empty(out_features, in_features).uniform_(-bound, bound).requires_grad_()
    b = torch.empty(out_features).uniform_(-bound, bound).requires_grad_()
    return w, b


OP_CHAIN_OPS = 100


def make_op_chain():
    x = torch.randn(16, requires_grad=True)
    ones = torch.ones(16)

    def run():
        y = x
        for _ in range(OP_CHAIN_OPS // 4):
            y = y + x
            y = y * 0.5
            y = y.tanh()
            y = y * x
        y.backward(ones)
        value = x.grad[0].item()
        x.grad = None
        return value

    return run


def make_ppo_objective():
    torch.manual_seed(11)
    logits = torch.randn(128, 2, requires_grad=True)
    old_logp = torch.empty(128).uniform_(-1.2, -0.2)
    advantages = torch.randn(128)
    actions = torch.tensor([(i * 7) % 2 for i in range(128)])

    def run():
        new_logp = logits.log_softmax(1).gather(1, actions.unsqueeze(1)).squeeze(1)
        ratio = (new_logp - old_logp).exp()
        loss = -torch.minimum(ratio * advantages, ratio.clamp(0.8, 1.2) * advantages).mean()
        loss.backward()
        logits.grad = None

    return run


def make_mlp_inference():
    w1, b1 = linear_params(32, 64)
    w2, b2 = linear_params(64, 64)
    w3, b3 = linear_params(64, 4)
    x = torch.randn(1, 32)

    def run():
        with torch.no_grad():
            h1 = F.linear(x, w1, b1).tanh()
            h2 = F.linear(h1, w2, b2).tanh()
            y = F.linear(h2, w3, b3)
            return y[0, 0].item()

    return run


def make_tanh_forward_backward():
    n = 1 << 20
    x = torch.randn(n, requires_grad=True)
    ones = torch.ones(n)

    def run():
        y = x.tanh()
        y.backward(ones)
        value = x.grad[n // 2].item()
        x.grad = None
        return value

    return run


def make_mlp_training_step():
    params = [*linear_params(32, 64), *linear_params(64, 64), *linear_params(64, 4)]
    w1, b1, w2, b2, w3, b3 = params
    x = torch.randn(32, 32)
    targets = torch.arange(32) % 4

    def run():
        h1 = F.linear(x, w1, b1).tanh()
        h2 = F.linear(h1, w2, b2).tanh()
        loss = F.cross_entropy(F.linear(h2, w3, b3), targets)
        loss.backward()
        value = loss.item()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-0.01)
                p.grad = None
        return value

    return run


def mse_training_step(model, optimizer):
    """zero_grad (grads set to None), forward on a fixed [32, 64] batch, MSE against [32, 8] targets, backward, step."""
    x = torch.randn(32, 64)
    target = torch.randn(32, 8)

    def run():
        optimizer.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), target)
        loss.backward()
        value = loss.item()
        optimizer.step()
        return value

    return run


def make_mlp_adam_step_w2():
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 8))
    return mse_training_step(model, torch.optim.Adam(model.parameters(), lr=1e-3))


def make_extractor_step(width, frozen):
    extractor = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(), torch.nn.Linear(width, width),
                                    torch.nn.ReLU())
    head = torch.nn.Linear(width, 8)
    if frozen:
        extractor.requires_grad_(False)
    model = torch.nn.Sequential(extractor, head)
    return mse_training_step(model, torch.optim.SGD(head.parameters() if frozen else model.parameters(), lr=1e-3))


def make_gradient_penalty_step(activation):
    """GradientPenaltyBenchmarks: one WGAN-GP critic step, the penalty's input gradient with create_graph=True."""
    critic = torch.nn.Sequential(torch.nn.Linear(4, 64), activation(), torch.nn.Linear(64, 64), activation(),
                                 torch.nn.Linear(64, 1))
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
    real = torch.randn(64, 4)
    fake = torch.randn(64, 4) * 0.5
    ones = torch.ones(64, 1)

    def run():
        optimizer.zero_grad(set_to_none=True)
        alpha = torch.rand(64, 1)
        mixed = (alpha * (real - fake) + fake).requires_grad_()
        gradient, = torch.autograd.grad(critic(mixed), mixed, ones, create_graph=True)
        norm = (gradient.square().sum(1) + 1e-12).sqrt()
        penalty = (norm - 1).square().mean()
        loss = critic(fake).mean() - critic(real).mean() + penalty * 10
        loss.backward()
        value = loss.item()
        optimizer.step()
        return value

    return run


def make_pinn_step():
    """PinnBenchmarks: one physics-informed step of tools/ArenaGrad.Pinn at its defaults (m=1, c=0.4, k=4, u0=1, v0=0)."""
    points, duration, mass, damping, stiffness, u0, v0 = 64, 5.0, 1.0, 0.4, 4.0, 1.0, 0.0
    model = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32), torch.nn.Tanh(),
                                torch.nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=3000)
    times = torch.tensor([duration * i / (points - 1) for i in range(points)]).reshape(points, 1).requires_grad_()
    ones = torch.ones(points, 1)
    at_start = torch.zeros(points, 1)
    at_start[0] = 1

    def run():
        optimizer.zero_grad(set_to_none=True)
        u = model(times * (2 / duration) - 1)
        du, = torch.autograd.grad(u, times, ones, create_graph=True)
        ddu, = torch.autograd.grad(du, times, ones, create_graph=True)
        residual = ddu * (mass / stiffness) + du * (damping / stiffness) + u
        position_miss = (u * at_start).sum() - u0
        velocity_miss = ((du * at_start).sum() - v0) * math.sqrt(mass / stiffness)
        loss = residual.square().mean() + (position_miss.square() + velocity_miss.square())
        loss.backward()
        value = loss.item()
        optimizer.step()
        schedule.step()
        return value

    return run


def make_cell_step(kind, size):
    """RecurrentCellBenchmarks.GruCellStep / LstmCellStep: one step at batch 1 with the state carried, no grad."""
    cell = (torch.nn.GRUCell if kind == "gru" else torch.nn.LSTMCell)(size, size)
    x = torch.randn(1, size)
    state = [torch.zeros(1, size)] if kind == "gru" else [(torch.zeros(1, size), torch.zeros(1, size))]

    def run():
        with torch.no_grad():
            state[0] = cell(x, state[0])

    return run


def make_gru_training():
    """LayerBenchmarks.GruTrainingBatch32: GRU(32, 64), seq 64, batch 32, MSE, backward, Adam."""
    gru = torch.nn.GRU(32, 64)
    optimizer = torch.optim.Adam(gru.parameters(), lr=1e-3)
    x = torch.randn(64, 32, 32)
    target = torch.randn(64, 32, 64) * 0.5

    def run():
        optimizer.zero_grad(set_to_none=True)
        output, _ = gru(x)
        loss = F.mse_loss(output, target)
        loss.backward()
        optimizer.step()
        return loss.item()

    return run


def nature_cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(4, 32, 8, stride=4), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 4, stride=2), torch.nn.ReLU(),
        torch.nn.Conv2d(64, 64, 3, stride=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(3136, 512),
        torch.nn.ReLU())


def make_nature_cnn(batch, backward):
    """LayerBenchmarks.NatureCnnForwardBatch1 / NatureCnnTrainingBatch32."""
    model = nature_cnn()
    x = torch.rand(batch, 4, 84, 84)
    g = torch.randn(batch, 512)

    def run():
        if not backward:
            with torch.no_grad():
                return model(x)[0, 0].item()
        (model(x) * g).sum().backward()
        for p in model.parameters():
            p.grad = None
        return 0.0

    return run


def make_entity_encoder():
    """LayerBenchmarks.EntityEncoderTrainingBatch32: TransformerEncoderLayer(64, 4, 256, dropout 0), [32, 16, 64]."""
    layer = torch.nn.TransformerEncoderLayer(64, 4, dim_feedforward=256, dropout=0.0, batch_first=True)
    x = torch.randn(32, 16, 64)
    g = torch.randn(32, 16, 64)

    def run():
        (layer(x) * g).sum().backward()
        for p in layer.parameters():
            p.grad = None
        return 0.0

    return run


def make_linear_layer(layer, backward):
    in_features, out_features = (int(v) for v in layer.split("x"))
    x = torch.randn(32, in_features, requires_grad=True)
    w = torch.randn(out_features, in_features, requires_grad=True)
    g = torch.randn(32, out_features)

    def run():
        if not backward:
            with torch.no_grad():
                return F.linear(x, w)[0, 0].item()
        (F.linear(x, w) * g).sum().backward()
        value = w.grad[0, 0].item()
        x.grad = None
        w.grad = None
        return value

    return run


def make_sgemm(size, transposed):
    a = torch.randn(size, size)
    b = torch.randn(size, size)

    def run():
        with torch.no_grad():
            return (F.linear(a, b) if transposed else torch.mm(a, b))[0, 0].item()

    return run


def parse_time_ns(text):
    """Parses BenchmarkDotNet's '1.341 us' / '5.759 ms' / '812.3 ns' (thousands separators allowed)."""
    value, unit = text.replace(",", "").split()
    scale = {"ns": 1.0, "us": 1e3, "\u03bcs": 1e3, "\u00b5s": 1e3, "ms": 1e6, "s": 1e9}[unit]
    return float(value) * scale


def read_bdn_medians(root):
    medians = {}
    for path in sorted(glob.glob(os.path.join(root, "BenchmarkDotNet.Artifacts", "results", "*-report.csv"))):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter=","):
                if "Method" in row and row.get("Median"):
                    # Parameterised benchmarks (GemmBenchmarks' Size) get one entry per value: "SgemmNN/512";
                    # runs on more than one thread get a suffix ("SgemmNN/512/t2") and have no PyTorch twin here.
                    key = row["Method"] + (f"/{row['Size']}" if row.get("Size") else "")
                    key += f"/{row['Layer']}" if row.get("Layer") else ""
                    key += f"/{row['Width']}" if row.get("Width") else ""
                    if row.get("Threads") and row["Threads"] != "1":
                        key += f"/t{row['Threads']}"
                    try:
                        medians[key] = parse_time_ns(row["Median"])
                    except (KeyError, ValueError):
                        pass
    return medians


def format_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3f} us"
    return f"{ns:.1f} ns"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=0, help="timed calls per workload (default: per workload)")
    parser.add_argument("--root", default=".", help="repository root (for BenchmarkDotNet's CSV reports)")
    parser.add_argument("--only", default="", help="run only the workloads whose name contains this text")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(42)
    # (name, run, repetitions, warm-up calls, operations per call: the median is divided by it, as BenchmarkDotNet's
    # OperationsPerInvoke divides ArenaGrad's)
    workloads = [
        ("op_chain_w0", make_op_chain(), args.repetitions or 2000, 200, OP_CHAIN_OPS),
        ("ppo_clipped_objective_b128", make_ppo_objective(), args.repetitions or 5000, 1000, 1),
        ("mlp_inference_batch1", make_mlp_inference(), args.repetitions or 20000, 2000, 1),
        ("tanh_forward_backward_1m", make_tanh_forward_backward(), args.repetitions or 300, 30, 1),
        ("mlp_training_step_batch32", make_mlp_training_step(), args.repetitions or 5000, 500, 1),
        ("mlp_adam_step_w2", make_mlp_adam_step_w2(), args.repetitions or 5000, 500, 1),
        ("sgemm_nn_256", make_sgemm(256, False), args.repetitions or 400, 40, 1),
        ("sgemm_nn_512", make_sgemm(512, False), args.repetitions or 100, 10, 1),
        ("sgemm_nn_1024", make_sgemm(1024, False), args.repetitions or 30, 5, 1),
        ("sgemm_nt_512", make_sgemm(512, True), args.repetitions or 100, 10, 1),
        *[(f"linear_forward_{layer}", make_linear_layer(layer, False), args.repetitions or 5000, 500, 1)
          for layer in ("64x128", "128x128", "128x8", "256x256")],
        *[(f"linear_forward_backward_{layer}", make_linear_layer(layer, True), args.repetitions or 5000, 500, 1)
          for layer in ("64x128", "128x128", "128x8", "256x256")],
        ("frozen_extractor_w128", make_extractor_step(128, True), args.repetitions or 3000, 300, 1),
        ("all_trainable_w128", make_extractor_step(128, False), args.repetitions or 3000, 300, 1),
        ("frozen_extractor_w512", make_extractor_step(512, True), args.repetitions or 1000, 100, 1),
        ("all_trainable_w512", make_extractor_step(512, False), args.repetitions or 1000, 100, 1),
        ("gradient_penalty_tanh", make_gradient_penalty_step(torch.nn.Tanh), args.repetitions or 2000, 200, 1),
        ("gradient_penalty_relu", make_gradient_penalty_step(torch.nn.ReLU), args.repetitions or 2000, 200, 1),
        ("pinn_training_step", make_pinn_step(), args.repetitions or 2000, 200, 1),
        *[(f"{kind}_cell_step_h{size}", make_cell_step(kind, size), args.repetitions or 20000, 2000, 1)
          for kind in ("gru", "lstm") for size in (32, 64)],
        ("gru_training_batch32", make_gru_training(), args.repetitions or 100, 10, 1),
        ("nature_cnn_forward_batch1", make_nature_cnn(1, False), args.repetitions or 1000, 100, 1),
        ("nature_cnn_training_batch32", make_nature_cnn(32, True), args.repetitions or 40, 5, 1),
        ("entity_encoder_batch32", make_entity_encoder(), args.repetitions or 1000, 100, 1),
    ]
    capability = next((line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                       if "CPU capability usage" in line), "n/a")
    print(f"PyTorch {torch.__version__}, Python {platform.python_version()}, threads={torch.get_num_threads()}, "
          f"CPU capability {capability}")
    bdn = read_bdn_medians(args.root)
    for name, fn, repetitions, warmup, operations in workloads:
        if args.only not in name:
            continue
        median, count = median_ns(fn, repetitions, warmup)
        median /= operations
        line = f"{name:26s} PyTorch median {format_ns(median):>12s} over {count} calls"
        ours = bdn.get(BDN_NAMES[name])
        if ours:
            line += f" | ArenaGrad median {format_ns(ours):>12s} | PyTorch/ArenaGrad = {median / ours:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
