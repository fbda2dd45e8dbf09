"""The safetensors format written by hand for the generator scripts (Debian has no safetensors package): an 8-byte
little-endian header length, the JSON header (dtype, shape, data_offsets per name) padded with spaces to 8 bytes, then
the bytes in header order; int64 tensors (num_batches_tracked) as I64, everything else as F32."""
import json


def save_safetensors(tensors, path):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype, data = ("I64", t.numpy().astype("<i8").tobytes()) if str(t.dtype) == "torch.int64" else ("F32", t.numpy().astype("<f4").tobytes())
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)
