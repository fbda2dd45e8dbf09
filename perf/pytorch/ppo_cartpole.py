#!/usr/bin/env python3
"""The PyTorch twin of tools/ArenaGrad.Agents' CartPole PPO trainer (issue 19, end-to-end training throughput).

CleanRL's ppo.py with its CartPole-v1 defaults, written from ../shared/rl/cartpole.md sections 1-3:
- environment: gym's classic-control CartPole (Euler, double-precision state, float32 observations) in numpy,
  vectorized over --num-envs envs stepped in lock-step, TimeLimit 500, same-step auto-reset as SyncVectorEnv;
  env i draws its resets from numpy.random.default_rng(seed + i), as gym does;
- PPO: T = 128 steps per env, 4 epochs of 4 minibatches, Adam(2.5e-4, eps=1e-5) over actor and critic with the
  learning rate annealed linearly, gamma 0.99, GAE lambda 0.95, per-minibatch advantage normalisation, clip 0.2,
  clipped value loss, entropy 0.01, value 0.5, global grad-norm clip 0.5 (clip_grad_norm_), no target KL;
- networks: separate actor and critic, 4-64-64 tanh, orthogonal init (gain sqrt(2), actor head 0.01, critic head
  1.0), biases 0; float32; one thread.

Measured (section 3): wall time from the first reset to the end of the last update (interpreter start-up, imports
and network construction excluded); steps/s = global_step / wall time; every finished episode's return goes, in
completion order, into a window of the last 20; the solved step is the first global_step at which that window is
full and its mean is >= 475.

Run from the repository root with Debian's interpreter:
    /usr/bin/python3 perf/pytorch/ppo_cartpole.py --seed 1 --json /tmp/pytorch-1.json
"""

import os

# torch.set_num_threads(1) does not reach Debian's OpenBLAS, which numpy and torch load; pin it to one thread
# before either is imported, so the twin runs on one core as the ArenaGrad trainer does.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.distributions.categorical import Categorical  # noqa: E402

# CleanRL ppo.py defaults for CartPole-v1 (cartpole.md section 2).
NUM_STEPS = 128
LEARNING_RATE = 2.5e-4
GAMMA = 0.99
GAE_LAMBDA = 0.95
NUM_MINIBATCHES = 4
UPDATE_EPOCHS = 4
CLIP_COEF = 0.2
ENT_COEF = 0.01
VF_COEF = 0.5
MAX_GRAD_NORM = 0.5

WINDOW = 20
SOLVED_MEAN = 475.0


class CartPoleVector:
    """N copies of gym's CartPoleEnv in TimeLimit(500), stepped together, auto-reset in the same step."""

    # gym's constants, computed as gym computes them.
    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5  # half the pole's length
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4
    max_episode_steps = 500

    def __init__(self, num_envs, seed):
        self.num_envs = num_envs
        self.rngs = [np.random.default_rng(seed + i) for i in range(num_envs)]
        self.state = np.zeros((num_envs, 4), dtype=np.float64)
        self.elapsed = np.zeros(num_envs, dtype=np.int64)
        self.episode_return = np.zeros(num_envs, dtype=np.float64)

    def _reset_one(self, i):
        self.state[i] = self.rngs[i].uniform(low=-0.05, high=0.05, size=(4,))
        self.elapsed[i] = 0
        self.episode_return[i] = 0.0

    def reset(self):
        """Resets every env; returns the float32 observations, shape (N, 4)."""
        for i in range(self.num_envs):
            self._reset_one(i)
        return self.state.astype(np.float32)

    def step(self, action):
        """One step of every env with action (N,) in {0, 1}.

        Returns (next_obs float32 (N, 4), reward float32 (N,), done bool (N,), finished returns in env order).
        A done env is reset at once and its reset observation is returned; the terminal observation is dropped.
        """
        x, x_dot, theta, theta_dot = self.state.T
        force = np.where(action == 1, self.force_mag, -self.force_mag)
        # libm's cos and sin, as gym calls them: numpy's own float64 cos/sin (SVML on AVX-512 machines) differ in
        # the last bit, so trajectories would depend on the CPU.
        theta_list = theta.tolist()
        costheta = np.array([math.cos(t) for t in theta_list])
        sintheta = np.array([math.sin(t) for t in theta_list])
        temp = (force + self.polemass_length * theta_dot**2 * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta**2 / self.total_mass)
        )
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        # Explicit Euler: every right-hand side is the state before the step.
        self.state = np.stack(
            (x + self.tau * x_dot, x_dot + self.tau * xacc, theta + self.tau * theta_dot, theta_dot + self.tau * thetaacc),
            axis=1,
        )
        nx = self.state[:, 0]
        ntheta = self.state[:, 2]
        terminated = (
            (nx < -self.x_threshold)
            | (nx > self.x_threshold)
            | (ntheta < -self.theta_threshold_radians)
            | (ntheta > self.theta_threshold_radians)
        )
        self.elapsed += 1
        truncated = self.elapsed >= self.max_episode_steps
        done = terminated | truncated
        reward = np.ones(self.num_envs, dtype=np.float32)
        self.episode_return += 1.0
        finished = []
        if done.any():
            for i in np.flatnonzero(done):
                finished.append(float(self.episode_return[i]))
                self._reset_one(i)
        return self.state.astype(np.float32), reward, done, finished


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    """CleanRL's separate critic and actor (the critic is built first, as in ppo.py, so the init draws match)."""

    def __init__(self, obs_size, num_actions):
        super().__init__()
        self.critic = nn.Sequential(
            layer_init(nn.Linear(obs_size, 64)),
            nn.Tanh(),
            layer_init(nn.Linear(64, 64)),
            nn.Tanh(),
            layer_init(nn.Linear(64, 1), std=1.0),
        )
        self.actor = nn.Sequential(
            layer_init(nn.Linear(obs_size, 64)),
            nn.Tanh(),
            layer_init(nn.Linear(64, 64)),
            nn.Tanh(),
            layer_init(nn.Linear(64, num_actions), std=0.01),
        )

    def get_value(self, x):
        return self.critic(x)

    def get_action_and_value(self, x, action=None):
        logits = self.actor(x)
        probs = Categorical(logits=logits)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(x)


def train(seed, total_timesteps, num_envs, quiet):
    """Runs PPO; returns the summary dictionary written by --json."""
    torch.set_num_threads(1)
    np.random.seed(seed)  # the minibatch shuffles (np.random.shuffle, as CleanRL)
    torch.manual_seed(seed)  # network init and action sampling

    batch_size = num_envs * NUM_STEPS
    minibatch_size = batch_size // NUM_MINIBATCHES
    num_iterations = total_timesteps // batch_size

    envs = CartPoleVector(num_envs, seed)
    agent = Agent(4, 2)
    optimizer = torch.optim.Adam(agent.parameters(), lr=LEARNING_RATE, eps=1e-5)

    obs = torch.zeros((NUM_STEPS, num_envs, 4))
    actions = torch.zeros((NUM_STEPS, num_envs))
    logprobs = torch.zeros((NUM_STEPS, num_envs))
    rewards = torch.zeros((NUM_STEPS, num_envs))
    dones = torch.zeros((NUM_STEPS, num_envs))
    values = torch.zeros((NUM_STEPS, num_envs))

    window = collections.deque(maxlen=WINDOW)
    episodes = 0
    solved_step = None
    global_step = 0

    # Wall time starts at the first reset (section 3).
    start = time.perf_counter()
    next_obs = torch.from_numpy(envs.reset())
    next_done = torch.zeros(num_envs)

    for iteration in range(1, num_iterations + 1):
        frac = 1.0 - (iteration - 1.0) / num_iterations
        lrnow = frac * LEARNING_RATE
        optimizer.param_groups[0]["lr"] = lrnow

        for step in range(0, NUM_STEPS):
            obs[step] = next_obs
            dones[step] = next_done

            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs)
                values[step] = value.flatten()
            actions[step] = action
            logprobs[step] = logprob

            o, reward, done, finished = envs.step(action.numpy())
            global_step += num_envs
            rewards[step] = torch.from_numpy(reward)
            next_obs = torch.from_numpy(o)
            next_done = torch.from_numpy(done.astype(np.float32))

            # Every finished episode, in completion order (CleanRL's logger would keep only one per step).
            for episode_return in finished:
                window.append(episode_return)
                episodes += 1
                if solved_step is None and len(window) == WINDOW and sum(window) / WINDOW >= SOLVED_MEAN:
                    solved_step = global_step

        # GAE; a truncated episode is cut like a terminated one (no bootstrap), as in CleanRL.
        with torch.no_grad():
            next_value = agent.get_value(next_obs).reshape(1, -1)
            advantages = torch.zeros_like(rewards)
            lastgaelam = 0
            for t in reversed(range(NUM_STEPS)):
                if t == NUM_STEPS - 1:
                    nextnonterminal = 1.0 - next_done
                    nextvalues = next_value
                else:
                    nextnonterminal = 1.0 - dones[t + 1]
                    nextvalues = values[t + 1]
                delta = rewards[t] + GAMMA * nextvalues * nextnonterminal - values[t]
                advantages[t] = lastgaelam = delta + GAMMA * GAE_LAMBDA * nextnonterminal * lastgaelam
            returns = advantages + values

        b_obs = obs.reshape((-1, 4))
        b_logprobs = logprobs.reshape(-1)
        b_actions = actions.reshape(-1)
        b_advantages = advantages.reshape(-1)
        b_returns = returns.reshape(-1)
        b_values = values.reshape(-1)

        b_inds = np.arange(batch_size)
        clipfracs = []
        for epoch in range(UPDATE_EPOCHS):
            np.random.shuffle(b_inds)
            for mb_start in range(0, batch_size, minibatch_size):
                mb_inds = b_inds[mb_start:mb_start + minibatch_size]

                _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb_inds], b_actions.long()[mb_inds])
                logratio = newlogprob - b_logprobs[mb_inds]
                ratio = logratio.exp()

                # CleanRL's diagnostics, kept so the twin does the same work per minibatch.
                with torch.no_grad():
                    old_approx_kl = (-logratio).mean()
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfracs += [((ratio - 1.0).abs() > CLIP_COEF).float().mean().item()]

                mb_advantages = b_advantages[mb_inds]
                # Tensor.std() is the sample std (n - 1 divisor), as cartpole.md asks.
                mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

                pg_loss1 = -mb_advantages * ratio
                pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - CLIP_COEF, 1 + CLIP_COEF)
                pg_loss = torch.max(pg_loss1, pg_loss2).mean()

                newvalue = newvalue.view(-1)
                v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                v_clipped = b_values[mb_inds] + torch.clamp(newvalue - b_values[mb_inds], -CLIP_COEF, CLIP_COEF)
                v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                v_loss_max = torch.max(v_loss_unclipped, v_loss_clipped)
                v_loss = 0.5 * v_loss_max.mean()

                entropy_loss = entropy.mean()
                loss = pg_loss - ENT_COEF * entropy_loss + v_loss * VF_COEF

                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), MAX_GRAD_NORM)
                optimizer.step()

        y_pred, y_true = b_values.numpy(), b_returns.numpy()
        var_y = np.var(y_true)
        explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y

        if not quiet and (iteration % 50 == 0 or iteration == num_iterations):
            elapsed = time.perf_counter() - start
            mean_return = sum(window) / len(window) if window else float("nan")
            print(
                f"iter {iteration:4d}/{num_iterations}  step {global_step:7d}  {global_step / elapsed:7.0f} steps/s  "
                f"mean20 {mean_return:6.1f}  episodes {episodes:5d}  lr {lrnow:.2e}  "
                f"v_loss {v_loss.item():8.3f}  approx_kl {approx_kl.item():.4f}  "
                f"clipfrac {np.mean(clipfracs):.3f}  explained_var {explained_var:.3f}",
                flush=True,
            )

    # Wall time ends with the last update.
    wall = time.perf_counter() - start
    return {
        "implementation": "pytorch",
        "environment": "CartPole-v1",
        "seed": seed,
        "steps": global_step,
        "wallSeconds": wall,
        "stepsPerSecond": global_step / wall,
        "solvedStep": solved_step,
        "episodes": episodes,
        "lastMeanReturn": sum(window) / len(window) if window else 0.0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--total-timesteps", type=int, default=500000)
    parser.add_argument("--num-envs", type=int, default=4)
    parser.add_argument("--json", metavar="PATH", help="write the summary as JSON to PATH")
    parser.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    args = parser.parse_args()

    summary = train(args.seed, args.total_timesteps, args.num_envs, args.quiet)

    solved = summary["solvedStep"]
    print(
        f"pytorch CartPole-v1 seed {summary['seed']}: {summary['steps']} steps in {summary['wallSeconds']:.2f} s = "
        f"{summary['stepsPerSecond']:.0f} steps/s; solved at step {solved if solved is not None else 'never'}; "
        f"{summary['episodes']} episodes, last-20 mean return {summary['lastMeanReturn']:.1f}"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
