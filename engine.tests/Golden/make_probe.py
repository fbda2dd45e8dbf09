"""Golden/probe/cases.json: a differential hostile probe of the ops of issue 16 against PyTorch 1.13.

Thousands of small random cases (fixed seed): random shapes (0-d, empty dims, rank up to 4), random dims (negative and
out of range), random arguments (indices in and out of range, zero or oversized split/chunk sizes, bad expand/repeat
sizes, zero/negative slice steps, norm orders 0/inf/-inf/negative, corrections above n, masks of the wrong shape...)
and special values (NaN, +-inf, +-0, ties). Each case records PyTorch's outcome: the output (shape, dtype, values) and,
where it requires grad, the gradient of sum(output * w) for every float input (w[i] = ((37 i) mod 11 - 5) / 4), or the
error PyTorch raised. DifferentialProbeTests runs every case on ArenaGrad.

Cases that would hit a deviation documented in README's "PyTorch parity, and where it differs" are not generated (or
their gradient is not recorded); each such rule is in `deviation` below, with the deviation it names.
Run with Debian's PyTorch: cd engine.tests/Golden && /usr/bin/python3 make_probe.py
"""
import json
import math
import os
import random

import torch
import torch.nn.functional as F

R = random.Random(int(os.environ.get("PROBE_SEED", "20261206")))  # another seed only to explore
torch.manual_seed(R.randrange(2 ** 31))  # torch.rand draws the class-probability targets
NAN, INF = float("nan"), float("inf")
TORCH = {"f": torch.float32, "i": torch.int32, "b": torch.bool}
cases = []


def num(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float("%.7g" % v)


def values(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return [int(v) for v in t.flatten().tolist()]
    if t.dtype in (torch.int32, torch.int64):
        return [int(v) for v in t.flatten().tolist()]
    return [num(v) for v in t.float().flatten().tolist()]


def kind(t):
    return {torch.float32: "f", torch.int32: "i", torch.int64: "i", torch.bool: "b"}[t.dtype]


def weight(n):
    return torch.tensor([((37 * i) % 11 - 5) / 4 for i in range(n)], dtype=torch.float32)


# ---- random inputs ----------------------------------------------------------------------------------------------------
def rshape(rank=None, empty=0.08):
    rank = R.choice([0, 1, 1, 2, 2, 2, 3, 3, 4]) if rank is None else rank
    if 0 < rank <= 2 and R.random() < 0.1:  # long rows: the vector kernels' full lanes and tails
        return [R.choice([1, 2, 3, 5, 16, 17, 33, 40]) for _ in range(rank)]
    return [0 if R.random() < empty else R.choice([1, 2, 2, 3, 3, 4]) for _ in range(rank)]


def fdata(n, special):
    out = []
    for _ in range(n):
        r = R.random()
        if special and r < 0.12:
            out.append(R.choice([NAN, INF, -INF, 0.0, -0.0, 90.0, -90.0, 1e30, -1e30, 1e-40, -1.0]))
        elif r < 0.3:
            out.append(float(R.choice([-2, -1, 0, 1, 2])))  # ties
        else:
            out.append(round(R.gauss(0, 1.5), 2))
    return out


def tensor(shape, k="f", special=None, lo=-3, hi=5):
    n = math.prod(shape)
    special = R.random() < 0.3 if special is None else special
    if k == "f":
        data = fdata(n, special)
    elif k == "i":
        data = [R.randint(lo, hi) for _ in range(n)]
    else:
        data = [R.random() < 0.5 for _ in range(n)]
    return {"s": list(shape), "t": k, "d": data}


def torch_of(spec):
    return torch.tensor(spec["d"], dtype=TORCH[spec["t"]]).reshape(spec["s"])


def rdim(rank, bad=0.1):
    if R.random() < bad:
        return R.choice([rank, rank + 1, -rank - 1, 5, -6])
    return R.randint(-max(rank, 1), max(rank, 1) - 1)


def rdtype():
    return R.choice("ffffib")


def broadcastable(shape):
    """A shape that broadcasts with `shape` (mostly), or a random one."""
    if R.random() < 0.15:
        return rshape()
    out = [R.choice([d, d, 1]) for d in shape[R.randint(0, len(shape)):]]
    return [1] * R.randint(0, 1) + out if len(out) < 4 else out


def deviation(reason):
    """Marks a generated case that a documented README deviation covers: it is not recorded (the reason names it)."""
    return reason


# ---- recording ----------------------------------------------------------------------------------------------------
def case(op, attrs, inputs, fn, grad=True):
    """Runs fn on the inputs (float inputs require grad) and records PyTorch's outcome; grad=False drops the gradient
    (a documented deviation of the gradient only)."""
    ts = []
    nograd = R.random() < 0.15  # some cases with no input requiring grad: the ops' non-recording path
    for spec in inputs:
        if "alias" in spec:  # the same tensor as an earlier input
            ts.append(ts[spec["alias"]])
            continue
        t = torch_of(spec)
        if spec["t"] == "f" and not nograd:
            t.requires_grad_(True)
        ts.append(t)
    rec = {"op": op, "a": attrs, "in": inputs}
    if nograd:
        rec["ng"] = 1
    try:
        y = fn(*ts)
        if isinstance(y, (tuple, list)):  # split/chunk: the piece attrs["index"] names, modulo the count
            rec["np"] = len(y)
            if not y:
                cases.append(rec)
                return
            y = y[attrs["index"] % len(y)]
        if y.dim() > 8:
            return  # README: tensors have at most 8 dims (PyTorch 64); the engine refuses more with a clear message
    except Exception as e:  # noqa: BLE001 -- PyTorch's RuntimeError, IndexError, ValueError, TypeError
        rec["err"] = str(e).split("\n")[0]
        cases.append(rec)
        return
    rec["out"] = {"s": list(y.shape), "t": kind(y), "d": values(y), "rg": bool(y.requires_grad)}
    if y.requires_grad and grad:
        try:
            (y * weight(y.numel()).reshape(y.shape)).sum().backward()
            rec["g"] = [None if t.grad is None or "alias" in spec or spec["t"] != "f" else values(t.grad)
                        for spec, t in zip(inputs, ts)]
        except RuntimeError as e:
            rec["berr"] = str(e).split("\n")[0]
    cases.append(rec)


def flt(v):
    return num(v) if isinstance(v, float) else v


# ---- math ---------------------------------------------------------------------------------------------------------
def math_cases():
    unary = {"sin": torch.sin, "cos": torch.cos, "log1p": torch.log1p, "expm1": torch.expm1, "erf": torch.erf,
             "rsqrt": torch.rsqrt, "reciprocal": torch.reciprocal, "sign": torch.sign, "floor": torch.floor,
             "round": torch.round, "silu": F.silu, "mish": F.mish}
    for name, fn in unary.items():
        for _ in range(25):
            case(name, {}, [tensor(rshape())], fn)
    for _ in range(30):
        beta, thr = R.choice([1.0, 2.0, 0.5, -1.0, 3.0]), R.choice([20.0, 1.0, 0.0, 5.0])
        case("softplus", {"beta": beta, "threshold": thr}, [tensor(rshape())],
             lambda x: F.softplus(x, beta, thr))
    def nan_free(x):
        # README: at a NaN input PyTorch 1.13's elu and hardtanh gradients depend on the element's position (vector
        # kernel against scalar tail); here elu gives NaN and hardtanh passes the gradient -- not compared there.
        return not any(v != v for v in x["d"]) or not deviation("elu/hardtanh gradient at NaN")

    for _ in range(25):
        alpha = R.choice([1.0, 0.5, 0.0, -1.0, 2.0])
        x = tensor(rshape())
        case("elu", {"alpha": alpha}, [x], lambda x: F.elu(x, alpha), grad=nan_free(x))
    for _ in range(30):
        approx = R.choice(["none", "tanh"])
        case("gelu", {"approximate": approx}, [tensor(rshape())], lambda x: F.gelu(x, approximate=approx))
    for _ in range(30):
        lo, hi = R.choice([(-1.0, 1.0), (0.0, 0.5), (-2.0, 0.0), (1.0, -1.0), (0.5, 0.5)])
        x = tensor(rshape())
        case("hardtanh", {"min": lo, "max": hi}, [x], lambda x: F.hardtanh(x, lo, hi), grad=nan_free(x))
    for name, fn in {"minimum": torch.minimum, "maximum": torch.maximum}.items():
        for _ in range(60):
            a = rshape()
            case(name, {}, [tensor(a), tensor(broadcastable(a))], fn)


# ---- reductions and scans -------------------------------------------------------------------------------------------
def reduce_cases():
    def each(n, make):
        for _ in range(n):
            x = tensor(rshape(empty=0.15))
            rank = len(x["s"])
            make(x, rdim(rank), R.random() < 0.4)

    each(25, lambda x, d, k: case("min_all", {}, [x], torch.min))
    each(25, lambda x, d, k: case("max_all", {}, [x], torch.max))
    each(15, lambda x, d, k: case("sum_all", {}, [x], torch.sum))
    each(15, lambda x, d, k: case("mean_all", {}, [x], torch.mean))
    for name, fn in {"amin": torch.amin, "amax": torch.amax, "sum_dim": torch.sum, "mean_dim": torch.mean}.items():
        each(35 if name[1] == "m" else 20, lambda x, d, k, fn=fn, name=name:
             case(name, {"dim": d, "keepdim": k}, [x], lambda t: fn(t, d, keepdim=k)))
    for name, fn in {"max": torch.max, "min": torch.min}.items():
        each(40, lambda x, d, k, fn=fn, name=name:
             case(name + "_values", {"dim": d, "keepdim": k}, [x], lambda t: fn(t, d, keepdim=k).values))
        each(30, lambda x, d, k, fn=fn, name=name:
             case(name + "_indices", {"dim": d, "keepdim": k}, [x], lambda t: fn(t, d, keepdim=k).indices.int()))
    for name, fn in {"argmax": torch.argmax, "argmin": torch.argmin}.items():
        each(25, lambda x, d, k, fn=fn, name=name: case(name + "_all", {}, [x], lambda t: fn(t).int()))
        each(35, lambda x, d, k, fn=fn, name=name:
             case(name, {"dim": d, "keepdim": k}, [x], lambda t: fn(t, d, keepdim=k).int()))
    for name, fn in {"var": torch.var, "std": torch.std}.items():
        def vs(x, d, k, fn=fn, name=name):
            # README: var/std sum in float where PyTorch accumulates in double: squares past float's range give inf
            x["d"] = [v if not (isinstance(v, float) and math.isfinite(v) and abs(v) > 1e18) else 1.0 for v in x["d"]]
            c = R.choice([0, 1, 1, 2, 5])
            if R.random() < 0.4:
                # README: "Over every element with n <= correction, PyTorch 1.13's var/std backward fails with an
                # internal shape error; here it is the per-dim formula" -- the gradient is not compared there.
                n = math.prod(x["s"])
                case(name + "_all", {"correction": c, "keepdim": k}, [x],
                     lambda t: fn(t, None, correction=c, keepdim=k),
                     grad=n > c or not deviation("var/std over every element with n <= correction"))
            else:
                # the same deviation: along the one dim of a 0-d tensor is over every element (1.13 takes that path)
                case(name, {"dim": d, "correction": c, "keepdim": k}, [x], lambda t: fn(t, d, correction=c, keepdim=k),
                     grad=len(x["s"]) > 0 or c < 1 or not deviation("var/std over every element with n <= correction"))
        each(45, vs)

    def norm(x, d, k):
        p = R.choice([2.0, 1.0, 0.0, INF, -INF, -1.0, 0.5, 3.0, -2.0])
        if R.random() < 0.4:
            case("norm_all", {"p": flt(p)}, [x], lambda t: t.norm(p))
        else:
            case("norm", {"p": flt(p), "dim": d, "keepdim": k}, [x], lambda t: t.norm(p, d, keepdim=k))
    each(90, norm)

    def lse(x, d, k):
        if R.random() < 0.2:
            x["d"] = [R.choice([-INF, -INF, 1.0, INF, NAN]) for _ in x["d"]]  # all -inf slices, +inf, NaN
        case("logsumexp", {"dim": d, "keepdim": k}, [x], lambda t: torch.logsumexp(t, d, keepdim=k))
    each(50, lse)
    each(45, lambda x, d, k: case("cumsum", {"dim": d}, [x], lambda t: torch.cumsum(t, d)))

    def prod(x, d, k):
        # README: "Prod's gradient is always the product of the other elements (PyTorch divides the result by x when
        # no element is 0, which gives NaN at an infinite element)" -- no gradient compared with a non-finite input, or
        # with one so large that the product overflows (then PyTorch divides an infinite result).
        finite = all(isinstance(v, float) and math.isfinite(v) and abs(v) < 1e18 for v in x["d"]) or \
            not deviation("prod gradient at a non-finite element")
        if R.random() < 0.35:
            case("prod_all", {}, [x], torch.prod, grad=finite)
        else:
            case("prod", {"dim": d, "keepdim": k}, [x], lambda t: torch.prod(t, d, keepdim=k), grad=finite)
    each(50, prod)


# ---- shape ops (any dtype) --------------------------------------------------------------------------------------------
def shape_cases():
    def x_any(empty=0.1):
        return tensor(rshape(empty=empty), rdtype())

    for _ in range(70):
        x = x_any()
        rank, d = len(x["s"]), rdim(len(x["s"]))
        size = x["s"][d] if -rank <= d < rank else 3
        start, length = R.randint(-size - 2, size + 2), R.randint(-1, size + 2)
        case("narrow", {"dim": d, "start": start, "length": length}, [x], lambda t: t.narrow(d, start, length))
    for _ in range(60):
        x = x_any()
        rank, d = len(x["s"]), rdim(len(x["s"]))
        size = x["s"][d] if -rank <= d < rank else 3
        i = R.randint(-size - 1, size)
        case("select", {"dim": d, "index": i}, [x], lambda t: t.select(d, i))
    for _ in range(80):
        x = x_any()
        rank, d = len(x["s"]), rdim(len(x["s"]))
        start, end, step = R.randint(-6, 6), R.randint(-6, 6), R.choice([1, 1, 2, 3, 0, -1])
        case("slice", {"dim": d, "start": start, "end": end, "step": step}, [x],
             lambda t: torch.ops.aten.slice(t, d, start, end, step))
    for _ in range(50):
        x = x_any()
        rank = len(x["s"])
        dims = list(range(rank))
        R.shuffle(dims)
        dims = [d - rank if R.random() < 0.3 else d for d in dims]
        r = R.random()
        if r < 0.1 and dims:
            dims[0] = dims[-1] if len(dims) > 1 else rank  # repeated dim or out of range
        elif r < 0.2:
            dims = dims + [0]  # one too many
        elif r < 0.25 and dims:
            dims = dims[1:]
        case("permute", {"dims": dims}, [x], lambda t: t.permute(dims))
    for _ in range(40):
        x = x_any()
        d = R.randint(-len(x["s"]) - 2, len(x["s"]) + 1)
        case("unsqueeze", {"dim": d}, [x], lambda t: t.unsqueeze(d))
    for _ in range(50):
        x = tensor([R.choice([1, 1, 2, 0, 3]) for _ in range(R.randint(0, 4))], rdtype())
        if R.random() < 0.3:
            case("squeeze_all", {}, [x], torch.squeeze)
        else:
            d = rdim(len(x["s"]))
            case("squeeze", {"dim": d}, [x], lambda t: t.squeeze(d))
    for _ in range(70):
        x = tensor([R.choice([1, 1, 2, 3, 0]) for _ in range(R.randint(0, 3))], rdtype())
        shape = [R.choice([d, d, 1, 2, 3, 0, -1]) for d in x["s"]]
        shape = [R.choice([1, 2, 3, -1]) for _ in range(R.randint(0, 2))] + shape
        if R.random() < 0.1:
            shape = shape[1:]
        if any(v < -1 for v in shape):
            continue  # README: Expand with a negative size other than -1 throws numel overflow (PyTorch differs)
        case("expand", {"shape": shape}, [x], lambda t: t.expand(shape))
    for _ in range(50):
        x = x_any()
        rank = len(x["s"])
        s, e = rdim(rank), rdim(rank)
        case("flatten", {"start": s, "end": e}, [x], lambda t: t.flatten(s, e))
    for _ in range(50):
        x = x_any()
        reps = [R.choice([1, 2, 3, 0]) for _ in range(max(0, len(x["s"]) + R.randint(-1, 2)))]
        if R.random() < 0.05:
            reps[0:1] = [-1] if reps else []
        case("repeat", {"repeats": reps}, [x], lambda t: t.repeat(reps))
    for _ in range(60):
        x = x_any()
        rank, d = len(x["s"]), rdim(len(x["s"]))
        size = R.choice([0, 1, 2, 3, 5])
        i = R.randint(0, 3)
        case("split", {"size": size, "dim": d, "index": i}, [x], lambda t: t.split(size, d))
    for _ in range(60):
        x = x_any()
        rank, d = len(x["s"]), rdim(len(x["s"]))
        n = x["s"][d] if -rank <= d < rank else 3
        sizes = []
        while sum(sizes) < n and len(sizes) < 4:
            sizes.append(R.randint(0, n - sum(sizes)))
        if R.random() < 0.3:
            sizes.append(R.choice([1, 0, -1]))
        i = R.randint(0, max(len(sizes), 1))
        case("split_sizes", {"sizes": sizes, "dim": d, "index": i}, [x], lambda t: t.split(sizes, d))
    for _ in range(60):
        x = x_any()
        rank, d = len(x["s"]), rdim(len(x["s"]))
        chunks, i = R.choice([1, 2, 3, 5, 0, -1]), R.randint(0, 3)
        case("chunk", {"chunks": chunks, "dim": d, "index": i}, [x], lambda t: t.chunk(chunks, d))
    for _ in range(60):
        k = rdtype()
        shape = rshape()
        # README: "Functional.Stack does not promote dtypes": one dtype for every operand.
        xs = [tensor(shape if R.random() < 0.85 else rshape(), k) for _ in range(R.randint(1, 3))]
        d = R.randint(-len(shape) - 2, len(shape) + 1)
        case("stack", {"dim": d}, xs, lambda *ts: torch.stack(ts, d))
    for _ in range(50):
        k = rdtype()
        shape = rshape()
        xs = []
        for _ in range(R.randint(1, 3)):
            s = list(shape)
            if s and R.random() < 0.7:
                s[R.randrange(len(s))] = R.randint(0, 3)
            xs.append(tensor(s, k))
        d = rdim(len(shape))
        if any(x["s"] == [0] for x in xs) and (len(shape) != 1 or not -1 <= d <= 0):
            continue  # README: Cat does not skip 1-D empty operands (PyTorch's legacy rule): their rank and dim count
        case("cat", {"dim": d}, xs, lambda *ts: torch.cat(ts, d))
    for _ in range(40):
        x = x_any()
        rank = len(x["s"])
        a, b = rdim(rank), rdim(rank)
        case("transpose", {"dim0": a, "dim1": b}, [x], lambda t: t.transpose(a, b))


# ---- ranks up to 8 and past it ---------------------------------------------------------------------------------------
def rank_cases():
    for _ in range(12):
        rank = R.choice([7, 8, 8])
        x = tensor([R.choice([1, 1, 1, 2]) for _ in range(rank)], rdtype())
        case("unsqueeze", {"dim": 0}, [x], lambda t: t.unsqueeze(0))
        reps = [R.choice([1, 2]) for _ in range(rank + R.randint(0, 1))]
        case("repeat", {"repeats": reps}, [x], lambda t: t.repeat(reps))
        shape = [1] * R.randint(0, 1) + x["s"]
        case("expand", {"shape": shape}, [x], lambda t: t.expand(shape))
        case("stack", {"dim": 0}, [x, x], lambda *ts: torch.stack(ts, 0))
        target = [1] * R.randint(0, 2) + x["s"]
        case("reshape", {"shape": target}, [x], lambda t: t.reshape(target))


# ---- one tensor as several operands, wrong dtypes, empty lists ---------------------------------------------------------
def hostile_cases():
    A = {"alias": 0}
    for _ in range(10):
        x = tensor(rshape())
        case("minimum", {}, [x, A], torch.minimum)
        case("maximum", {}, [x, A], torch.maximum)
        case("stack", {"dim": 0}, [x, A], lambda *ts: torch.stack(ts, 0))
        case("cat", {"dim": -1}, [x, A, A], lambda *ts: torch.cat(ts, -1))
        c = tensor(x["s"], "b")
        case("where", {}, [c, x, {"alias": 1}], lambda c, a, b: torch.where(c, a, b))
        if x["s"]:
            idx = tensor(x["s"], "i", lo=0, hi=max(x["s"][0] - 1, 0))
            case("scatter_add", {"dim": 0}, [x, idx, A], lambda t, i, s: t.scatter_add(0, i.long(), s))
            case("gather", {"dim": 0}, [x, idx], lambda t, i: t.gather(0, i.long()))
    for _ in range(20):
        a = rshape()
        k = R.choice("fi")
        case("where", {}, [tensor(a, k), tensor(a), tensor(a)], lambda c, x, y: torch.where(c, x, y))
        x = tensor(rshape(1))
        n = x["s"][0]
        bad = tensor([R.randint(1, 2)], R.choice("fb"))
        case("index_select", {"dim": 0}, [x, bad], lambda t, i: t.index_select(0, i))
        case("gather", {"dim": 0}, [x, bad], lambda t, i: t.gather(0, i))
        case("scatter_add", {"dim": 0}, [x, bad, tensor(bad["s"])], lambda t, i, s: t.scatter_add(0, i, s))
    for k in "fib":
        case("stack", {"dim": 0}, [], lambda *ts: torch.stack(ts, 0))
        case("cat", {"dim": 0}, [], lambda *ts: torch.cat(ts, 0))
    for beta in (0.0, -0.5):
        case("softplus", {"beta": beta, "threshold": 20.0}, [tensor([5])], lambda x: F.softplus(x, beta, 20.0))
    for c in (-1, -2):
        x = tensor(rshape(2))
        case("var", {"dim": 1, "correction": c, "keepdim": False}, [x], lambda t: torch.var(t, 1, correction=c))


# ---- indexing, masks, where -------------------------------------------------------------------------------------------
def index_cases():
    for _ in range(80):
        x = tensor(rshape(), rdtype())
        rank, d = len(x["s"]), rdim(len(x["s"]))
        n = x["s"][d] if -rank <= d < rank else 1
        irank = R.choice([1, 1, 1, 0, 2])
        idx = tensor(rshape(irank), "i", lo=-1 if R.random() < 0.1 else 0, hi=n if R.random() < 0.15 else max(n - 1, 0))
        if rank == 0 and math.prod(idx["s"]) != 1:
            continue  # README: IndexSelect on a 0-d tensor takes exactly one index (1.13 takes the first of several)
        case("index_select", {"dim": d}, [x, idx], lambda t, i: t.index_select(d, i.long()))
    for _ in range(100):
        x = tensor(rshape(), rdtype())
        rank, d = len(x["s"]), rdim(len(x["s"]))
        ishape = [R.randint(0, s + 1) if R.random() < 0.2 else R.randint(1, max(s, 1)) for s in x["s"]]
        if R.random() < 0.1:
            ishape = rshape()
        n = x["s"][d] if -rank <= d < rank else 1
        idx = tensor(ishape, "i", lo=-1 if R.random() < 0.1 else 0, hi=n if R.random() < 0.1 else max(n - 1, 0))
        if {rank, len(ishape)} == {0, 1} and math.prod(ishape) > 0:
            continue  # README: Gather needs the index of self's rank (1.13 takes a 0-d self or index as 1-D)
        case("gather", {"dim": d}, [x, idx], lambda t, i: t.gather(d, i.long()))
    for _ in range(100):
        x = tensor(rshape())  # README: ScatterAdd is Float32 only
        rank, d = len(x["s"]), rdim(len(x["s"]))
        ishape = [R.randint(0, s) if R.random() < 0.3 else s for s in x["s"]]
        if R.random() < 0.1:
            ishape = rshape()
        sshape = [s + R.choice([0, 0, 1]) for s in ishape] if R.random() < 0.9 else rshape()
        n = x["s"][d] if -rank <= d < rank else 1
        idx = tensor(ishape, "i", lo=-1 if R.random() < 0.1 else 0, hi=n if R.random() < 0.1 else max(n - 1, 0))
        if math.prod(ishape) > 0 and 0 in (rank, len(ishape), len(sshape)) and len({rank, len(ishape), len(sshape)}) > 1:
            continue  # README: ScatterAdd needs self, index and source of one rank (1.13 takes a 0-d one as 1-d)
        # README: "ScatterAdd with an index smaller than the source gives the source a gradient of its own shape, 0
        # outside the index (1.13's backward fails there)" -- no gradient compared then.
        case("scatter_add", {"dim": d}, [x, idx, tensor(sshape)], lambda t, i, s: t.scatter_add(d, i.long(), s),
             grad=ishape == sshape or not deviation("scatter_add index smaller than source"))
    for _ in range(70):
        x = tensor(rshape())  # README: MaskedFill is Float32 only and takes a Bool mask only
        m = tensor(broadcastable(x["s"]), "b")
        v = R.choice([0.0, 2.5, -1.0, NAN, INF, -0.0])
        case("masked_fill", {"value": flt(v)}, [x, m], lambda t, mm: t.masked_fill(mm, v))
    for _ in range(80):
        k = rdtype()
        a = rshape()
        # README: "Where takes a and b of one dtype, or a float b"
        case("where", {}, [tensor(broadcastable(a), "b"), tensor(a, k), tensor(broadcastable(a), k)],
             lambda c, x, y: torch.where(c, x, y))
    for _ in range(40):
        a = rshape()
        v = R.choice([0.0, -2.0, NAN, 1.5])
        case("where_scalar", {"b": flt(v)}, [tensor(broadcastable(a), "b"), tensor(a)],
             lambda c, x: torch.where(c, x, v))


# ---- comparisons and logic -------------------------------------------------------------------------------------------
def compare_cases():
    fns = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge}
    for name, fn in fns.items():
        for _ in range(25):
            k = rdtype()  # README: comparisons take operands of one dtype
            a = rshape()
            case(name, {}, [tensor(a, k), tensor(broadcastable(a), k)], fn)
        for _ in range(15):
            v = R.choice([0.0, 1.0, -1.0, 0.5, NAN, INF, -INF, 2.0])
            case(name + "_scalar", {"other": flt(v)}, [tensor(rshape(), rdtype())], lambda t: fn(t, v))
    for _ in range(25):
        case("logical_not", {}, [tensor(rshape(), rdtype())], torch.logical_not)
    for name, fn in {"logical_and": torch.logical_and, "logical_or": torch.logical_or,
                     "logical_xor": torch.logical_xor}.items():
        for _ in range(25):
            a = rshape()
            case(name, {}, [tensor(a, rdtype()), tensor(broadcastable(a), rdtype())], fn)


# ---- dtypes -----------------------------------------------------------------------------------------------------------
def dtype_cases():
    for _ in range(60):
        x = tensor(rshape(), rdtype())
        to = R.choice("fib")
        if x["t"] == "f" and to == "i":
            # README: "Float to Int32 truncates toward zero and saturates, NaN becoming 0 (C++ leaves both undefined)"
            x["d"] = [v if math.isfinite(v) and abs(v) < 2 ** 31 else 0.0 for v in x["d"]]
        case("to", {"dtype": to}, [x], lambda t: t.to(TORCH[to]))


# ---- losses with tensor targets -------------------------------------------------------------------------------------
def loss_cases():
    for _ in range(90):
        # README: NllLoss and CrossEntropy take [N, C] or [C] only
        shape = R.choice([[R.randint(0, 4), R.randint(1, 4)], [R.randint(1, 4)]])
        x = tensor(shape, special=R.random() < 0.1)
        c = shape[-1]
        tshape = shape[:-1] if R.random() < 0.8 else R.choice([[], [1], [2], [0], [1, 1]])
        t = tensor(tshape, "i", lo=-1 if R.random() < 0.1 else 0, hi=c if R.random() < 0.1 else c - 1)
        ignore = R.choice([-100, -100, 0, 1])
        if ignore != -100 and t["d"]:
            t["d"][0] = ignore
        red = R.choice(["mean", "sum", "none"])
        # README: an ignored row's gradient is 0 even where its logits are not finite (1.13: NaN through log_softmax)
        grad = all(v == v and abs(v) != INF for v in x["d"]) or ignore not in t["d"] or \
            not deviation("ignored row with non-finite logits")
        if R.random() < 0.5:
            ls = R.choice([0.0, 0.0, 0.1, 0.5])
            case("cross_entropy", {"reduction": red, "ls": ls, "ignore": ignore}, [x, t],
                 lambda a, b: F.cross_entropy(a, b.long(), reduction=red, label_smoothing=ls, ignore_index=ignore), grad=grad)
        elif not (len(shape) == 1 and t["s"] == shape and c > 1):
            # (README: a [C] input with a target of C elements is refused; 1.13's nll_loss reads its first)
            lp = torch_of(x).log_softmax(-1) if R.random() < 0.5 else None
            if lp is not None:
                x["d"] = [float("%.7g" % v) for v in lp.flatten().tolist()]
            case("nll_loss", {"reduction": red, "ignore": ignore}, [x, t],
                 lambda a, b: F.nll_loss(a, b.long(), reduction=red, ignore_index=ignore), grad=grad)
    for _ in range(40):
        shape = R.choice([[R.randint(0, 3), R.randint(1, 4)], [R.randint(1, 4)]])
        p = torch.rand(shape) if R.random() < 0.9 else torch.rand(rshape())
        p = p / p.sum(-1, keepdim=True).clamp_min(1e-3) if p.dim() else p
        t = {"s": list(p.shape), "t": "f", "d": [round(v, 3) for v in p.flatten().tolist()]}
        red, ls = R.choice(["mean", "sum", "none"]), R.choice([0.0, 0.2])
        case("cross_entropy_probs", {"reduction": red, "ls": ls}, [tensor(shape, special=False), t],
             lambda a, b: F.cross_entropy(a, b, reduction=red, label_smoothing=ls))


for _ in range(2):  # two rounds of every family: about 6,300 cases, 2 MB
    for family in (math_cases, reduce_cases, shape_cases, rank_cases, hostile_cases, index_cases, compare_cases, dtype_cases, loss_cases):
        family()

for i, c in enumerate(cases):
    c["id"] = i
    for spec in (s for s in c["in"] if "d" in s):
        spec["d"] = [flt(v) if isinstance(v, float) else v if isinstance(v, str) else int(v) for v in spec["d"]]
folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe")
os.makedirs(folder, exist_ok=True)
with open(os.path.join(folder, "cases.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(len(cases), "cases,", sum("err" in c for c in cases), "PyTorch errors")
