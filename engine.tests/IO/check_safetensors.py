"""Checks a safetensors file written by ArenaGrad the way PyTorch users would read it, without the safetensors
package (Debian has no python3-safetensors): parse the format by hand, build torch tensors from the bytes, and
compare with a reference file. Usage: /usr/bin/python3 check_safetensors.py written.safetensors reference.safetensors"""
import json, struct, sys
import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}

def load(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{name}: gap or overlap at {begin} (expected {end})"
        end = stop
        t = torch.frombuffer(bytearray(data[begin:stop]), dtype=DTYPES[info["dtype"]]) if stop > begin else torch.empty(0)
        tensors[name] = t.reshape(info["shape"]).float()
    assert end == len(data), f"data region {len(data)} bytes, tensors cover {end}"
    return n, list(header), tensors, metadata

n, order, written, metadata = load(sys.argv[1])
assert (8 + n) % 8 == 0, "data does not start 8-byte aligned"
_, _, reference, _ = load(sys.argv[2])
assert written.keys() == reference.keys(), (written.keys(), reference.keys())
for name in reference:
    assert written[name].shape == reference[name].shape, name
    assert torch.equal(written[name], reference[name]), name
print(f"ok: {len(written)} tensors, header {n} bytes (data at {8 + n}), order {order}, metadata {metadata}")
