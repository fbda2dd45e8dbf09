"""Generates Golden/rl/*.json: references for ArenaGrad.Rl and the RL helpers (issue 19).

- gae.json: CleanRL ppo.py's GAE loop, verbatim, in float32 torch, on random rollouts with dones mid-way.
- running_mean_std.json: gym's / SB3's RunningMeanStd (parallel Welford from batch moments, count starting at 1e-4)
  in float64 numpy, and the normalization of VecNormalize / NormalizeObservation (epsilon 1e-8, then clip).
- polyak.json: CleanRL's target-network update, tau * source + (1 - tau) * target, in float32 torch.
- orthogonal.json: torch.nn.init.orthogonal_ on given normal matrices (its own steps, checked here against the
  real orthogonal_ under the same seed), so the C# QR can be compared on the same input.

Run with Debian's PyTorch from the repository root:
    /usr/bin/python3 engine.tests/Golden/make_rl.py
The output is committed; the tests never run Python.
"""
import json
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rl")
os.makedirs(OUT, exist_ok=True)


def floats(t):
    return [float(v) for v in np.asarray(t, dtype=np.float64).reshape(-1)]


def write(name, data):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(data, f, indent=1)


# --- GAE, as CleanRL's ppo.py (storage [num_steps, num_envs] float32; next_value reshaped to [1, num_envs]) ---
def gae_case(seed, num_steps, num_envs, gamma, gae_lambda, done_rate):
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(num_steps, num_envs, generator=g)
    values = torch.randn(num_steps, num_envs, generator=g)
    dones = (torch.rand(num_steps, num_envs, generator=g) < done_rate).float()
    dones[0] = 0.0
    dones[num_steps // 2, 0] = 1.0  # an episode boundary mid-way for certain
    next_value = torch.randn(1, num_envs, generator=g)
    next_done = (torch.arange(num_envs) % 2 == 1).float()  # some envs end exactly at the rollout's end
    with torch.no_grad():
        advantages = torch.zeros_like(rewards)
        lastgaelam = 0
        for t in reversed(range(num_steps)):
            if t == num_steps - 1:
                nextnonterminal = 1.0 - next_done
                nextvalues = next_value
            else:
                nextnonterminal = 1.0 - dones[t + 1]
                nextvalues = values[t + 1]
            delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
            advantages[t] = lastgaelam = delta + gamma * gae_lambda * nextnonterminal * lastgaelam
        returns = advantages + values
    return {
        "steps": num_steps, "envs": num_envs, "gamma": gamma, "gae_lambda": gae_lambda,
        "rewards": floats(rewards), "values": floats(values), "dones": [bool(d) for d in dones.reshape(-1)],
        "last_values": floats(next_value), "last_dones": [bool(d) for d in next_done],
        "advantages": floats(advantages), "returns": floats(returns),
    }


write("gae.json", {"cases": [
    gae_case(1, 16, 3, 0.99, 0.95, 0.15),
    gae_case(2, 128, 4, 0.99, 0.95, 0.05),
    gae_case(3, 9, 2, 0.9, 0.8, 0.3),
]})


# --- RunningMeanStd (gym.wrappers.normalize / stable_baselines3.common.running_mean_std) ---
class RunningMeanStd:
    def __init__(self, epsilon=1e-4, shape=()):
        self.mean = np.zeros(shape, "float64")
        self.var = np.ones(shape, "float64")
        self.count = epsilon

    def update(self, x):
        batch_mean = np.mean(x, axis=0)
        batch_var = np.var(x, axis=0)
        batch_count = x.shape[0]
        delta = batch_mean - self.mean
        tot_count = self.count + batch_count
        new_mean = self.mean + delta * batch_count / tot_count
        m_a = self.var * self.count
        m_b = batch_var * batch_count
        m2 = m_a + m_b + np.square(delta) * self.count * batch_count / tot_count
        self.mean, self.var, self.count = new_mean, m2 / tot_count, tot_count


def rms_case(seed, size, batch_sizes, clip):
    rng = np.random.default_rng(seed)
    rms = RunningMeanStd(shape=(size,))
    updates = []
    for b in batch_sizes:
        x = (rng.normal(size=(b, size)) * rng.uniform(0.5, 4, size=size) + rng.uniform(-3, 3, size=size)).astype(np.float32)
        rms.update(x.astype(np.float64))  # the batch's moments in double, as the C# side computes them
        updates.append({"batch": floats(x), "rows": b, "mean": floats(rms.mean), "var": floats(rms.var), "count": rms.count})
    x = (rng.normal(size=(5, size)) * 6).astype(np.float32)
    normalized = np.clip((x.astype(np.float64) - rms.mean) / np.sqrt(rms.var + 1e-8), -clip, clip).astype(np.float32)
    return {"size": size, "clip": clip, "updates": updates, "x": floats(x), "normalized": floats(normalized)}


write("running_mean_std.json", {"cases": [
    rms_case(11, 4, [8, 1, 5, 32], 10.0),
    rms_case(12, 1, [4, 4, 3], 1.5),
    rms_case(13, 3, [1, 1, 2, 64], 2.0),
]})


# --- Polyak averaging, as CleanRL's dqn.py / sac_continuous_action.py ---
def polyak_case(seed, shapes, tau):
    g = torch.Generator().manual_seed(seed)
    targets = [torch.randn(s, generator=g) for s in shapes]
    sources = [torch.randn(s, generator=g) for s in shapes]
    results = []
    with torch.no_grad():
        for t, s in zip(targets, sources):
            results.append(tau * s + (1.0 - tau) * t)
    return {"tau": tau, "shapes": [list(s) for s in shapes], "targets": [floats(t) for t in targets],
            "sources": [floats(s) for s in sources], "results": [floats(r) for r in results]}


write("polyak.json", {"cases": [
    polyak_case(21, [(64, 4), (64,), (2, 64), (2,)], 0.005),
    polyak_case(22, [(3, 5, 7), (33,)], 0.3),
    polyak_case(23, [(17,)], 1.0),
]})


# --- torch.nn.init.orthogonal_ (1.13), step by step on a given normal matrix ---
def orthogonal_from(flattened, shape, gain):
    rows = shape[0]
    flattened = flattened.clone()
    if rows < flattened.numel() // rows:
        flattened.t_()
    q, r = torch.linalg.qr(flattened)
    d = torch.diag(r, 0)
    ph = d.sign()
    q *= ph
    if rows < flattened.numel() // rows:
        q.t_()
    tensor = torch.empty(shape)
    with torch.no_grad():
        tensor.view_as(q).copy_(q)
        tensor.mul_(gain)
    return tensor


ortho = []
for i, (shape, gain) in enumerate([((4, 6), 1.0), ((6, 4), 2 ** 0.5), ((5, 5), 0.01), ((3, 2, 2), 1.0), ((64, 4), 2 ** 0.5)]):
    rows = shape[0]
    cols = int(np.prod(shape)) // rows
    torch.manual_seed(100 + i)
    normal = torch.empty(rows, cols).normal_(0, 1)
    result = orthogonal_from(normal, shape, gain)
    torch.manual_seed(100 + i)
    real = torch.nn.init.orthogonal_(torch.empty(shape), gain=gain)
    assert torch.equal(real, result), "the replica differs from torch.nn.init.orthogonal_"
    ortho.append({"shape": list(shape), "gain": gain, "normal": floats(normal), "result": floats(result)})
write("orthogonal.json", {"cases": ortho})
print("wrote", sorted(os.listdir(OUT)))
