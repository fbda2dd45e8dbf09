"""PyTorch 1.13 references for LayerNorm, scaled dot-product attention, MultiheadAttention and TransformerEncoderLayer.

Run with Debian's /usr/bin/python3 (torch 1.13): writes Golden/layers/attention/*.json. Each case holds the module's
options, its parameters by name, the inputs, a non-uniform upstream gradient for every output, the outputs, and the
gradient of every parameter and float input of sum(output * upstream) (+ the same for the attention weights), and the
module's repr. F.scaled_dot_product_attention does not exist in 1.13: its reference is the formula of PyTorch 2.0's
documentation, written below with 1.13 ops.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers", "attention")
torch.manual_seed(1234)


def t(x):
    x = x.detach()
    if x.dtype == torch.bool:
        return {"shape": list(x.shape), "dtype": "bool", "data": [bool(v) for v in x.reshape(-1).tolist()]}
    return {"shape": list(x.shape), "dtype": "float32", "data": [float(v) for v in x.float().reshape(-1).tolist()]}


def upstream_like(x):
    # non-uniform, deterministic: different per element
    n = x.numel()
    return (torch.linspace(-1.0, 1.5, n) + 0.3 * torch.sin(torch.arange(n, dtype=torch.float32))).reshape(x.shape).to(x.dtype)


def randomize(module):
    # every parameter non-trivial (biases and LayerNorm affine too), so each gradient is tested
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn_like(p) * 0.3 + (1.0 if name.endswith("norm1.weight") or name.endswith("norm2.weight") else 0.0))


def run(module_call, params, inputs, outputs_names):
    outs = module_call()
    if not isinstance(outs, tuple):
        outs = (outs,)
    result = {}
    loss = 0
    ups = {}
    for name, o in zip(outputs_names, outs):
        if o is None:
            result[name] = None
            continue
        up = upstream_like(o)
        ups[name] = t(up)
        result[name] = t(o)
        finite = torch.isfinite(o)
        loss = loss + (torch.where(finite, o, torch.zeros_like(o)) * up).sum()
    loss.backward()
    grads = {}
    for name, p in params:
        grads["param:" + name] = t(p.grad) if p.grad is not None else None
    for name, x in inputs.items():
        if x.dtype in (torch.float32, torch.float64) and x.requires_grad:
            grads["input:" + name] = t(x.grad) if x.grad is not None else None
    return result, ups, grads


cases = {"layernorm": [], "sdpa": [], "mha": [], "tel": []}

# ---- LayerNorm ------------------------------------------------------------------------------------------------
for name, shape, normalized, affine, eps in [
    ("last_dim", [4, 8], [8], True, 1e-5),
    ("last_dim_no_affine", [3, 5, 7], [7], False, 1e-5),
    ("two_dims", [2, 3, 6, 5], [6, 5], True, 1e-5),
    ("three_dims", [2, 3, 4, 5], [3, 4, 5], True, 1e-3),
    ("wide_row", [3, 67], [67], True, 1e-5),
    ("large_mean", [4, 40], [40], True, 1e-5),
    ("single_row_vector", [16], [16], True, 1e-5),
]:
    m = nn.LayerNorm(normalized, eps=eps, elementwise_affine=affine)
    if affine:
        with torch.no_grad():
            m.weight.copy_(1 + 0.5 * torch.randn_like(m.weight))
            m.bias.copy_(0.3 * torch.randn_like(m.bias))
    x = torch.randn(shape) * 2 + 0.5
    if name == "large_mean":
        x = x * 0.01 + 1000.0
    reference = "float32"
    if name == "large_mean":
        # ill-conditioned in float32 (PyTorch's float mean of ~1000 is off by up to 3e-5 against a spread of 0.01, so
        # its own output is off by ~3e-3): the reference is computed in float64 from the same float32 values
        m = m.double()
        x = x.double()
        reference = "float64"
    x.requires_grad_(True)
    params = list(m.named_parameters())
    res, ups, grads = run(lambda: m(x), params, {"input": x}, ["output"])
    cases["layernorm"].append({
        "name": name, "options": {"normalized_shape": normalized, "eps": eps, "elementwise_affine": affine},
        "params": {n: t(p) for n, p in params}, "inputs": {"input": t(x)}, "upstream": ups, "outputs": res,
        "grads": grads, "repr": repr(m), "grad_fn": type(m(x).grad_fn).__name__, "reference": reference})


# ---- scaled dot-product attention (PyTorch 2.0's documented formula) ----------------------------------------
def sdpa_reference(q, k, v, attn_mask=None, is_causal=False):
    L, S = q.size(-2), k.size(-2)
    scale_factor = 1 / math.sqrt(q.size(-1))
    attn_bias = torch.zeros(L, S, dtype=q.dtype)
    if is_causal:
        assert attn_mask is None
        temp_mask = torch.ones(L, S, dtype=torch.bool).tril(diagonal=0)
        attn_bias.masked_fill_(temp_mask.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            attn_bias = attn_bias.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            attn_bias = attn_bias + attn_mask
    attn_weight = q @ k.transpose(-2, -1) * scale_factor
    attn_weight = attn_weight + attn_bias
    attn_weight = torch.softmax(attn_weight, dim=-1)
    return attn_weight @ v


for name, qs, ks, vs, mask_kind, causal in [
    ("plain_3d", [2, 4, 8], [2, 6, 8], [2, 6, 5], None, False),
    ("plain_4d_same_length", [2, 3, 5, 4], [2, 3, 5, 4], [2, 3, 5, 4], None, False),
    ("bool_mask_2d", [2, 4, 8], [2, 6, 8], [2, 6, 8], "bool2d", False),
    ("bool_mask_broadcast_4d", [2, 3, 4, 8], [2, 3, 6, 8], [2, 3, 6, 8], "bool4d", False),
    ("float_mask", [2, 4, 8], [2, 6, 8], [2, 6, 3], "float", False),
    ("causal_square", [2, 5, 4], [2, 5, 4], [2, 5, 4], None, True),
    ("causal_rectangular", [1, 3, 4], [1, 6, 4], [1, 6, 2], None, True),
    ("matrices", [4, 8], [6, 8], [6, 8], None, False),
]:
    q = torch.randn(qs, requires_grad=True)
    k = torch.randn(ks, requires_grad=True)
    v = torch.randn(vs, requires_grad=True)
    L, S = qs[-2], ks[-2]
    mask = None
    if mask_kind == "bool2d":
        mask = torch.rand(L, S) > 0.4
        mask[:, 0] = True  # every query keeps a key
    elif mask_kind == "bool4d":
        mask = torch.rand(qs[0], 1, L, S) > 0.4
        mask[..., 1] = True
    elif mask_kind == "float":
        mask = torch.randn(L, S)
    inputs = {"q": q, "k": k, "v": v}
    if mask is not None:
        inputs["attn_mask"] = mask
    res, ups, grads = run(lambda: sdpa_reference(q, k, v, mask, causal), [], inputs, ["output"])
    cases["sdpa"].append({"name": name, "options": {"is_causal": causal}, "params": {},
                          "inputs": {n: t(x) for n, x in inputs.items()}, "upstream": ups, "outputs": res, "grads": grads})


# ---- MultiheadAttention --------------------------------------------------------------------------------------
def mha_case(name, E, H, N, L, S, batch_first=True, bias=True, self_attn=False, kpm=None, attn=None, need_weights=True,
             unbatched=False):
    m = nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first)
    randomize(m)
    m.train()  # dropout 0: train and eval agree; grads on, so 1.13 takes the path with gradients
    def shape(length):
        if unbatched:
            return [length, E]
        return [N, length, E] if batch_first else [length, N, E]
    query = torch.randn(shape(L), requires_grad=True)
    if self_attn:
        key = value = query
    else:
        key = torch.randn(shape(S), requires_grad=True)
        value = torch.randn(shape(S), requires_grad=True)
    kpm_t = None
    if kpm == "bool":
        kpm_t = torch.zeros([S] if unbatched else [N, S], dtype=torch.bool)
        kpm_t[..., S - 1] = True
        if not unbatched and N > 1:
            kpm_t[1, S - 2] = True
    elif kpm == "float":
        kpm_t = torch.randn([S] if unbatched else [N, S])
    attn_t = None
    if attn == "bool2d":
        attn_t = torch.rand(L, S) > 0.6
        attn_t[:, 0] = False
    elif attn == "float2d":
        attn_t = torch.randn(L, S)
    elif attn == "bool3d":
        attn_t = torch.rand((1 if unbatched else N) * H, L, S) > 0.6
        attn_t[:, :, 0] = False
    elif attn == "float3d":
        attn_t = torch.randn((1 if unbatched else N) * H, L, S)
    params = list(m.named_parameters())
    inputs = {"query": query}
    if not self_attn:
        inputs["key"] = key
        inputs["value"] = value
    if kpm_t is not None:
        inputs["key_padding_mask"] = kpm_t
    if attn_t is not None:
        inputs["attn_mask"] = attn_t
    res, ups, grads = run(lambda: m(query, key, value, key_padding_mask=kpm_t, attn_mask=attn_t, need_weights=need_weights),
                          params, inputs, ["output", "weights"])
    cases["mha"].append({
        "name": name, "options": {"embed_dim": E, "num_heads": H, "bias": bias, "batch_first": batch_first,
                                  "self_attention": self_attn, "need_weights": need_weights},
        "params": {n: t(p) for n, p in params}, "inputs": {n: t(x) for n, x in inputs.items()}, "upstream": ups,
        "outputs": res, "grads": grads, "repr": repr(m)})


mha_case("batch_first_cross", 8, 2, 2, 3, 5)
mha_case("seq_first_cross", 8, 2, 2, 3, 5, batch_first=False)
mha_case("self_attention_4_heads", 12, 4, 3, 4, 4, self_attn=True)
mha_case("no_bias", 8, 2, 2, 4, 3, bias=False)
mha_case("key_padding_mask", 8, 2, 2, 3, 5, kpm="bool")
mha_case("key_padding_mask_float", 8, 2, 2, 3, 5, kpm="float")
mha_case("attn_mask_bool_2d", 8, 2, 2, 4, 5, attn="bool2d")
mha_case("attn_mask_float_2d", 8, 2, 2, 4, 5, attn="float2d")
mha_case("attn_mask_bool_3d", 8, 2, 2, 4, 5, attn="bool3d")
mha_case("attn_mask_float_3d_seq_first", 8, 2, 2, 4, 5, attn="float3d", batch_first=False)
mha_case("both_masks", 8, 4, 2, 3, 5, kpm="bool", attn="bool2d")
mha_case("float_attn_with_padding", 8, 2, 2, 3, 5, kpm="bool", attn="float2d")
mha_case("no_weights", 8, 2, 2, 3, 5, need_weights=False)
mha_case("unbatched", 8, 2, 1, 3, 5, unbatched=True, kpm="bool", attn="float3d")
mha_case("unbatched_seq_first", 8, 2, 1, 4, 4, unbatched=True, batch_first=False, self_attn=True)
mha_case("one_head", 6, 1, 2, 2, 7)


# ---- TransformerEncoderLayer (dropout 0: PyTorch's random stream cannot be matched) --------------------------
def tel_case(name, d, h, ff, N, S, norm_first, batch_first=True, mask=None, kpm=False, dropout=0.0, eval_mode=False):
    m = nn.TransformerEncoderLayer(d, h, dim_feedforward=ff, dropout=dropout, batch_first=batch_first, norm_first=norm_first)
    randomize(m)
    if eval_mode:
        m.eval()
    src = torch.randn([N, S, d] if batch_first else [S, N, d], requires_grad=True)
    mask_t = None
    if mask == "bool":
        mask_t = torch.triu(torch.ones(S, S, dtype=torch.bool), diagonal=1)
    elif mask == "float":
        mask_t = torch.randn(S, S)
    kpm_t = None
    if kpm:
        kpm_t = torch.zeros(N, S, dtype=torch.bool)
        kpm_t[0, S - 1] = True
    inputs = {"src": src}
    if mask_t is not None:
        inputs["src_mask"] = mask_t
    if kpm_t is not None:
        inputs["src_key_padding_mask"] = kpm_t
    params = list(m.named_parameters())
    res, ups, grads = run(lambda: m(src, src_mask=mask_t, src_key_padding_mask=kpm_t), params, inputs, ["output"])
    cases["tel"].append({
        "name": name, "options": {"d_model": d, "nhead": h, "dim_feedforward": ff, "dropout": dropout,
                                  "batch_first": batch_first, "norm_first": norm_first, "eval": eval_mode},
        "params": {n: t(p) for n, p in params}, "inputs": {n: t(x) for n, x in inputs.items()}, "upstream": ups,
        "outputs": res, "grads": grads, "repr": repr(m)})


tel_case("post_norm", 8, 2, 16, 2, 5, False)
tel_case("pre_norm", 8, 2, 16, 2, 5, True)
tel_case("post_norm_masks", 8, 2, 16, 2, 5, False, mask="bool", kpm=True)
tel_case("pre_norm_float_mask_seq_first", 8, 4, 12, 3, 4, True, batch_first=False, mask="float")
tel_case("eval_with_dropout", 8, 2, 16, 2, 4, False, dropout=0.1, eval_mode=True, kpm=True)

# ---- LayerNorm double backward: L2 = Σ dx·v1 + Σ dw·v2 + Σ db·v3 with (dx, dw, db) = ∂Σ(y·u)/∂(x, w, b) ---------------
double = []
for name, shape, normalized, affine in [("affine", [3, 5], [5], True), ("no_affine", [2, 2, 4], [2, 4], False)]:
    x = (torch.randn(shape) * 1.5 + 0.2).requires_grad_(True)
    w = (1 + 0.4 * torch.randn(normalized)).requires_grad_(True) if affine else None
    b = (0.3 * torch.randn(normalized)).requires_grad_(True) if affine else None
    y = F.layer_norm(x, normalized, w, b)
    u = upstream_like(y)
    wrt = [x] + ([w, b] if affine else [])
    first = torch.autograd.grad((y * u).sum(), wrt, create_graph=True)
    vs = [torch.cos(torch.arange(g.numel(), dtype=torch.float32) * 0.7 + i).reshape(g.shape) for i, g in enumerate(first)]
    loss2 = sum((g * v).sum() for g, v in zip(first, vs if affine else vs))
    second = torch.autograd.grad(loss2, wrt, allow_unused=True)
    double.append({"name": name, "normalized_shape": normalized, "x": t(x), "w": t(w) if affine else None,
                   "b": t(b) if affine else None, "u": t(u), "v": [t(v) for v in vs],
                   "first": [t(g) for g in first], "second": [t(g) if g is not None else None for g in second]})
with open(os.path.join(OUT, "layernorm_double.json"), "w") as f:
    json.dump({"cases": double}, f, separators=(",", ":"))

# ---- reprs and error messages ---------------------------------------------------------------------------------
extra = {
    "repr_tel_default": repr(nn.TransformerEncoderLayer(64, 4, batch_first=True)),
    "repr_mha_no_bias": repr(nn.MultiheadAttention(16, 4, bias=False)),
    "repr_layernorm_3": repr(nn.LayerNorm([2, 3, 4], eps=1e-6, elementwise_affine=False)),
}


def message(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001
        return str(e)
    raise AssertionError("no error")


mha = nn.MultiheadAttention(8, 2, batch_first=True)
errors = {
    "layernorm_shape": message(lambda: F.layer_norm(torch.zeros(2, 32), [64])),
    "layernorm_empty": message(lambda: F.layer_norm(torch.zeros(2, 32), [])),
    "layernorm_weight": message(lambda: F.layer_norm(torch.zeros(2, 4), [4], torch.ones(3))),
    "mha_divisible": message(lambda: nn.MultiheadAttention(10, 3)),
    "mha_query_rank": message(lambda: mha(torch.zeros(2, 3, 4, 8), torch.zeros(2, 3, 4, 8), torch.zeros(2, 3, 4, 8))),
    "mha_key_rank": message(lambda: mha(torch.zeros(2, 3, 8), torch.zeros(3, 8), torch.zeros(3, 8))),
    "mha_embed": message(lambda: mha(torch.zeros(2, 3, 6), torch.zeros(2, 3, 6), torch.zeros(2, 3, 6))),
    "mha_key_value": message(lambda: mha(torch.zeros(2, 3, 8), torch.zeros(2, 4, 8), torch.zeros(2, 5, 8))),
    "mha_attn_2d": message(lambda: mha(torch.zeros(2, 3, 8), torch.zeros(2, 4, 8), torch.zeros(2, 4, 8), attn_mask=torch.zeros(3, 5))),
    "mha_attn_3d": message(lambda: mha(torch.zeros(2, 3, 8), torch.zeros(2, 4, 8), torch.zeros(2, 4, 8), attn_mask=torch.zeros(2, 3, 4))),
    "mha_attn_rank": message(lambda: mha(torch.zeros(2, 3, 8), torch.zeros(2, 4, 8), torch.zeros(2, 4, 8), attn_mask=torch.zeros(3))),
    "mha_kpm_shape": message(lambda: mha(torch.zeros(2, 3, 8), torch.zeros(2, 4, 8), torch.zeros(2, 4, 8),
                                         key_padding_mask=torch.zeros(2, 5, dtype=torch.bool))),
    "mha_kpm_rank": message(lambda: mha(torch.zeros(2, 3, 8), torch.zeros(2, 4, 8), torch.zeros(2, 4, 8),
                                        key_padding_mask=torch.zeros(2, 4, 1, dtype=torch.bool))),
}

os.makedirs(OUT, exist_ok=True)
for family, items in cases.items():
    with open(os.path.join(OUT, family + ".json"), "w") as f:
        json.dump({"cases": items}, f, separators=(",", ":"))
with open(os.path.join(OUT, "reprs_and_errors.json"), "w") as f:
    json.dump({"reprs": extra, "errors": errors}, f, indent=1)
print({k: len(v) for k, v in cases.items()})
