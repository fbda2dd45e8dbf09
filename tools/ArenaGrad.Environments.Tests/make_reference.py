#!/usr/bin/python3
"""Reference trajectories for ArenaGrad.Environments' tests, from gym's classic-control equations.

Writes reference.json beside this file. Run with Debian's python (numpy 1.24): /usr/bin/python3 make_reference.py

CartPole-v1 follows gym 0.26's CartPoleEnv.step (Euler integrator) line by line, in Python floats with math.cos and
math.sin as gym does. The only change is that squares are written x * x where gym writes x ** 2 (libm pow): the C#
environment does the same, so the two should agree to the last bit, and the tests allow only a tiny tolerance.
Pendulum-v1 follows gym 0.26's PendulumEnv.step with numpy scalars, as gym runs it: the action is a float32 array
clipped to [-2, 2], u ** 2 of that float32 scalar computed in float64 (numpy 1.24), np.sin, and angle_normalize with numpy's floored %.
"""
import json
import math
import os

import numpy as np

# ---- CartPole-v1 (gym/envs/classic_control/cartpole.py) ----
GRAVITY = 9.8
MASSCART = 1.0
MASSPOLE = 0.1
TOTAL_MASS = MASSPOLE + MASSCART
LENGTH = 0.5
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4


def cartpole_step(state, action):
    x, x_dot, theta, theta_dot = state
    force = FORCE_MAG if action == 1 else -FORCE_MAG
    costheta = math.cos(theta)
    sintheta = math.sin(theta)
    temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS))
    xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    x = x + TAU * x_dot
    x_dot = x_dot + TAU * xacc
    theta = theta + TAU * theta_dot
    theta_dot = theta_dot + TAU * thetaacc
    terminated = bool(x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD)
    return (x, x_dot, theta, theta_dot), terminated


def cartpole_run(name, start, policy, max_steps=500):
    """Steps from start until termination or max_steps; policy(step, state) -> action."""
    state = tuple(float(v) for v in start)
    actions, states, terminated = [], [], []
    for t in range(max_steps):
        a = int(policy(t, state))
        state, done = cartpole_step(state, a)
        actions.append(a)
        states.append(list(state))
        terminated.append(done)
        if done:
            break
    return {"name": name, "start": [float(v) for v in start], "actions": actions, "states": states,
            "terminated": terminated,
            "observations": [[float(np.float32(v)) for v in s] for s in states]}


def cartpole_cases():
    rng = np.random.default_rng(19)
    cases = [
        # The pinned test vectors of ../shared/rl/cartpole.md.
        cartpole_run("pinned", [0.01, -0.02, 0.03, -0.04], lambda t, s: [1, 0, 0, 1, 1][t], max_steps=5),
        # Always pushing right from rest: terminates on step 9.
        cartpole_run("right-from-zero", [0.0, 0.0, 0.0, 0.0], lambda t, s: 1),
        cartpole_run("left-from-zero", [0.0, 0.0, 0.0, 0.0], lambda t, s: 0),
    ]
    for k in range(6):
        start = rng.uniform(-0.05, 0.05, size=4)
        acts = rng.integers(0, 2, size=500)
        cases.append(cartpole_run(f"random-{k}", start, lambda t, s, acts=acts: acts[t]))
    # A balancing controller: a long episode through many states, ended by the cart drifting out or by 500 steps.
    for k in range(2):
        start = rng.uniform(-0.05, 0.05, size=4)
        cases.append(cartpole_run(f"balance-{k}", start,
                                  lambda t, s: 1 if s[2] + 0.3 * s[3] + 0.01 * s[0] + 0.05 * s[1] > 0 else 0))
    # Large angles and speeds (outside what resets reach) exercise sin and cos over a wider range.
    cases.append(cartpole_run("wide", [-1.0, 2.0, 0.19, -3.0], lambda t, s: t % 2))
    cases.append(cartpole_run("x-exit", [2.3, 5.0, 0.0, 0.0], lambda t, s: 1))
    return cases


# ---- Pendulum-v1 (gym/envs/classic_control/pendulum.py) ----
MAX_SPEED = 8
MAX_TORQUE = 2.0
DT = 0.05
G = 10.0
M = 1.0
L = 1.0


def angle_normalize(x):
    return ((x + np.pi) % (2 * np.pi)) - np.pi


def pendulum_step(state, action):
    th, thdot = state
    u = np.clip(np.array([action], dtype=np.float32), -MAX_TORQUE, MAX_TORQUE)[0]
    costs = angle_normalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * (u ** 2)
    newthdot = thdot + (3 * G / (2 * L) * np.sin(th) + 3.0 / (M * L ** 2) * u) * DT
    newthdot = np.clip(newthdot, -MAX_SPEED, MAX_SPEED)
    newth = th + newthdot * DT
    return np.array([newth, newthdot]), -costs


def pendulum_obs(state):
    th, thdot = state
    return np.array([np.cos(th), np.sin(th), thdot], dtype=np.float32)


def pendulum_run(name, start, actions):
    state = np.array(start, dtype=np.float64)
    states, rewards, observations = [], [], []
    for a in actions:
        state, r = pendulum_step(state, a)
        states.append([float(v) for v in state])
        rewards.append(float(r))
        observations.append([float(v) for v in pendulum_obs(state)])
    return {"name": name, "start": [float(v) for v in start],
            "actions": [float(np.float32(a)) for a in actions], "states": states, "rewards": rewards,
            "observations": observations}


def pendulum_cases():
    rng = np.random.default_rng(1919)
    cases = []
    for k in range(4):
        start = [rng.uniform(-np.pi, np.pi), rng.uniform(-1, 1)]
        cases.append(pendulum_run(f"random-{k}", start, rng.uniform(-3, 3, size=200).astype(np.float32)))
    # Full torque one way: the pendulum spins up to the speed limit and theta runs far past +-pi.
    cases.append(pendulum_run("spin-up", [0.1, 0.0], [2.0] * 200))
    cases.append(pendulum_run("spin-down", [-0.1, 0.0], [-2.0] * 200))
    # Torques far beyond the limit are clamped.
    cases.append(pendulum_run("clamped", [3.0, -7.5], [1e30, -1e30, 5.0, -5.0, 2.5, -2.0, 0.0] * 10))
    cases.append(pendulum_run("wound", [40.0, 7.9], rng.uniform(-2, 2, size=50).astype(np.float32)))
    return cases


def angle_cases():
    inputs = [0.0, 1.0, -1.0, np.pi, -np.pi, 2 * np.pi, -2 * np.pi, 3 * np.pi, -3 * np.pi, 3.0, 3.2, -3.2,
              np.nextafter(np.pi, 0), np.nextafter(-np.pi, 0), 1e-300, -1e-300, 100.0, -100.0, 12345.678,
              -12345.678, 1e10, -1e10]
    inputs += list(np.random.default_rng(7).uniform(-50, 50, size=40))
    return [{"theta": float(x), "normalized": float(angle_normalize(np.float64(x)))} for x in inputs]


# ---- The environments' generator: splitmix64 -> xoshiro256**, written from the authors' C reference ----
MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return x, z ^ (z >> 31)


class Xoshiro256StarStar:
    def __init__(self, seed):
        x, self.s = seed & MASK, []
        for _ in range(4):
            x, out = splitmix64(x)
            self.s.append(out)

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def uniform(self, low, high):
        # numpy's random_uniform: low + (high - low) * next_double, next_double = (bits >> 11) * 2**-53.
        return low + (high - low) * ((self.next() >> 11) * (1.0 / 9007199254740992.0))


def generator_cases():
    """The states of the first three resets of each env, for a few (seed, envs): env e uses seed + e (mod 2**64)."""
    cases = []
    for seed, envs in [(0, 2), (42, 3), (2**64 - 2, 3)]:
        cartpole, pendulum = [], []
        for e in range(envs):
            g = Xoshiro256StarStar(seed + e)
            cartpole.append([[g.uniform(-0.05, 0.05) for _ in range(4)] for _ in range(3)])
            g = Xoshiro256StarStar(seed + e)
            pendulum.append([[g.uniform(-math.pi, math.pi), g.uniform(-1.0, 1.0)] for _ in range(3)])
        cases.append({"seed": str(seed), "envs": envs, "cartpole": cartpole, "pendulum": pendulum})
    return cases


def main():
    reference = {
        "source": "make_reference.py (gym 0.26 classic-control equations, numpy %s)" % np.__version__,
        "cartpole": cartpole_cases(),
        "pendulum": pendulum_cases(),
        "angle_normalize": angle_cases(),
        "generator": generator_cases(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(reference, f, separators=(",", ":"))
        f.write("\n")
    for case in reference["cartpole"]:
        print("cartpole", case["name"], len(case["states"]), "steps, terminated" if case["terminated"][-1] else "")
    for case in reference["pendulum"]:
        print("pendulum", case["name"], len(case["states"]), "steps, return", sum(case["rewards"]))


if __name__ == "__main__":
    main()
