"""PyTorch 1.13 reference for tools/ArenaGrad.Agents' PPO objective (CartPoleAgentTests.PpoLoss_*).

CleanRL's ppo.py Agent (critic and actor 4-64-64 tanh, separate) with weights drawn here, one minibatch of 16
transitions, and ppo.py's loss with norm_adv and clip_vloss: writes ppo_loss.json with the weights, the minibatch,
the loss, its parts, approx_kl, clipfrac and the gradient of every parameter. Run with Debian's python:
    /usr/bin/python3 make_ppo_loss.py
"""
import json
import torch
import torch.nn as nn
from torch.distributions.categorical import Categorical

torch.manual_seed(0)


def mlp(outputs):
    return nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, outputs))


class Agent(nn.Module):
    def __init__(self):
        super().__init__()
        self.critic = mlp(1)
        self.actor = mlp(2)


agent = Agent()
n = 16
obs = torch.randn(n, 4)
with torch.no_grad():
    # Old log-probs and values near the current ones, so some ratios are clipped and some are not.
    logits = agent.actor(obs)
    actions = Categorical(logits=logits).sample()
    old_logprobs = Categorical(logits=logits).log_prob(actions) + 0.3 * torch.randn(n)
    old_values = agent.critic(obs).view(-1) + 0.3 * torch.randn(n)
advantages = torch.randn(n)
returns = old_values + advantages + 0.1 * torch.randn(n)

clip_coef, ent_coef, vf_coef = 0.2, 0.01, 0.5
logits = agent.actor(obs)
probs = Categorical(logits=logits)
newlogprob = probs.log_prob(actions)
entropy = probs.entropy()
newvalue = agent.critic(obs)
logratio = newlogprob - old_logprobs
ratio = logratio.exp()
with torch.no_grad():
    approx_kl = ((ratio - 1) - logratio).mean()
    clipfrac = ((ratio - 1.0).abs() > clip_coef).float().mean()
mb_advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
pg_loss1 = -mb_advantages * ratio
pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - clip_coef, 1 + clip_coef)
pg_loss = torch.max(pg_loss1, pg_loss2).mean()
newvalue = newvalue.view(-1)
v_loss_unclipped = (newvalue - returns) ** 2
v_clipped = old_values + torch.clamp(newvalue - old_values, -clip_coef, clip_coef)
v_loss_clipped = (v_clipped - returns) ** 2
v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
entropy_loss = entropy.mean()
loss = pg_loss - ent_coef * entropy_loss + v_loss * vf_coef
loss.backward()


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


json.dump({
    "torch": torch.__version__,
    "weights": {k: {"shape": list(v.shape), "values": flat(v)} for k, v in agent.state_dict().items()},
    "observations": flat(obs),
    "actions": [int(a) for a in actions.tolist()],
    "oldLogProbs": flat(old_logprobs),
    "oldValues": flat(old_values),
    "advantages": flat(advantages),
    "returns": flat(returns),
    "loss": float(loss), "policyLoss": float(pg_loss), "valueLoss": float(v_loss), "entropy": float(entropy_loss),
    "approxKl": float(approx_kl), "clipFraction": float(clipfrac),
    "gradients": {k: flat(p.grad) for k, p in agent.named_parameters()},
}, open("ppo_loss.json", "w"), indent=1)
print("clipfrac", float(clipfrac), "loss", float(loss))
