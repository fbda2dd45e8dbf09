"""Golden/double/norm: second derivatives of F.batch_norm (training and eval) and F.embedding (the fused ops of issue 18)
against PyTorch 1.13: torch.autograd.grad with create_graph=True, then the gradient of S = sum(grad_input * v) (see
golden_ops.py). The running statistics are not inputs of the program (their update is not differentiated).
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_double_norm.py
"""
import torch
import torch.nn.functional as F

from golden_ops import Case

torch.manual_seed(20261812)

c = Case("norm", "batch_norm_training_affine", root="double")
c.input("x", torch.randn(5, 3) * 1.3 + 0.2, requires_grad=True)
c.input("w", 1 + 0.3 * torch.randn(3), requires_grad=True)
c.input("b", 0.2 * torch.randn(3), requires_grad=True)
c.op("t0", "batch_norm", ["x", "w", "b"], {"training": True, "eps": 1e-5},
     lambda x, w, b: F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5))
c.op("t1", "mul", ["t0", "x"], {}, lambda a, b: a * b)
c.op("t2", "tanh", ["t1"], {}, torch.tanh)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.save(backward="t3", double=True)

c = Case("norm", "batch_norm_training_4d_no_affine", root="double")
c.input("x", torch.randn(2, 3, 2, 2), requires_grad=True)
c.op("t0", "batch_norm", ["x"], {"training": True, "eps": 1e-3},
     lambda x: F.batch_norm(x, None, None, None, None, True, 0.1, 1e-3))
c.op("t1", "sin", ["t0"], {}, torch.sin)
c.op("t2", "square", ["t1"], {}, torch.square)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.save(backward="t3", double=True)

c = Case("norm", "batch_norm_eval_running_statistics", root="double")
c.input("x", torch.randn(4, 3, 2), requires_grad=True)
c.input("m", 0.3 * torch.randn(3))
c.input("v", 0.5 + torch.rand(3))
c.input("w", 1 + 0.3 * torch.randn(3), requires_grad=True)
c.input("b", 0.2 * torch.randn(3), requires_grad=True)
c.op("t0", "batch_norm_eval", ["x", "m", "v", "w", "b"], {"eps": 1e-5},
     lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, False, 0.1, 1e-5))
c.op("t1", "mul", ["t0", "t0"], {}, lambda a, b: a * b)
c.op("t2", "mul", ["t1", "x"], {}, lambda a, b: a * b)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.save(backward="t3", double=True)

c = Case("norm", "embedding_repeated_with_padding", root="double")
c.input("w", torch.randn(6, 3), requires_grad=True)
c.input("i", torch.tensor([[1, 4, 1], [0, 5, 4]], dtype=torch.int32))
c.op("t0", "embedding", ["i", "w"], {"padding_idx": 4}, lambda i, w: F.embedding(i.long(), w, padding_idx=4))
c.op("t1", "mul", ["t0", "t0"], {}, lambda a, b: a * b)
c.op("t2", "tanh", ["t1"], {}, torch.tanh)
c.op("t3", "sum", ["t2"], {"dim": None}, torch.sum)
c.save(backward="t3", double=True)
