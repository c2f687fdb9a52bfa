"""Identifiers in the shapes Entra uses, made in bulk from a seeded numpy generator."""

from __future__ import annotations

import numpy as np
import polars as pl

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_B64URL = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8
)


def uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random version-4 GUIDs (lower-case, dashed) as a polars string Series."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8] = hexed[:, 0:8]
    out[:, 9:13] = hexed[:, 8:12]
    out[:, 14:18] = hexed[:, 12:16]
    out[:, 19:23] = hexed[:, 16:20]
    out[:, 24:36] = hexed[:, 20:32]
    return pl.Series(out.view("S36").ravel()).cast(pl.String)


def token_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` uniqueTokenIdentifier values: 22 base64url characters, as Entra prints them."""
    chars = _B64URL[rng.integers(0, 64, size=(n, 22))]
    chars[:, 20:22] = ord("A")
    return pl.Series(np.ascontiguousarray(chars).view("S22").ravel()).cast(pl.String)


def uuid(rng: np.random.Generator) -> str:
    return str(uuids(rng, 1)[0])


def ips(rng: np.random.Generator, prefixes: np.ndarray) -> np.ndarray:
    """One IPv4 address per prefix ("a.b"), the last two octets drawn at random."""
    n = len(prefixes)
    c = rng.integers(1, 255, size=n).astype(str)
    d = rng.integers(1, 255, size=n).astype(str)
    return np.char.add(np.char.add(np.char.add(np.char.add(prefixes.astype(str), "."), c), "."), d)


def ip6s(rng: np.random.Generator, asn: int, n: int) -> list[str]:
    """``n`` IPv6 addresses in a documentation block (2001:db8::/32) of network ``asn``."""
    hosts = rng.integers(1, 0xFFFF, size=(n, 2))
    return [f"2001:db8:{asn & 0xFFFF:x}:{a:x}::{b:x}" for a, b in hosts]
