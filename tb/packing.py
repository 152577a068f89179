"""Pack NumPy rows into integers for wide memory words and back (lane 0 in the low bits)."""

import numpy as np

__all__ = ["pack_rows", "unpack_rows"]


def pack_rows(rows: np.ndarray, bits: int) -> list[int]:
    """Pack each row of an integer matrix into one int, ``bits`` per lane (a multiple of 8),
    two's complement, lane 0 in the least significant bits."""
    if bits % 8:
        raise ValueError(f"pack_rows: lane width {bits} is not a multiple of 8")
    rows = np.ascontiguousarray(rows, dtype="<i8")
    if rows.shape[0] == 0:
        return []
    nbytes = bits // 8
    raw = rows.view(np.uint8).reshape(*rows.shape, 8)[..., :nbytes]
    flat = np.ascontiguousarray(raw).reshape(rows.shape[0], -1)
    return [int.from_bytes(r.tobytes(), "little") for r in flat]


def unpack_rows(words: list[int], lanes: int, bits: int, *, signed: bool = True
                ) -> np.ndarray:
    """Unpack ints into a (len(words), lanes) int64 matrix, ``bits`` per lane."""
    if bits % 8:
        raise ValueError(f"unpack_rows: lane width {bits} is not a multiple of 8")
    nbytes = bits // 8
    raw = b"".join(w.to_bytes(lanes * nbytes, "little") for w in words)
    lanes_u = np.frombuffer(raw, dtype=np.uint8).reshape(len(words), lanes, nbytes)
    value = np.zeros((len(words), lanes), dtype=np.int64)
    for i in range(nbytes):
        value |= lanes_u[..., i].astype(np.int64) << (8 * i)
    if signed:
        value = np.where(value >= 1 << (bits - 1), value - (1 << bits), value)
    return value
