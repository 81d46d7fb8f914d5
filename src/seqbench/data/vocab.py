"""Text vocabularies: characters of the train split (ids 1.., 0 = unknown) or UTF-8 bytes.

A vocabulary is either the list of known characters or the string ``"byte"``: 256 ids, one
per byte value, no unknowns, so any text in any script encodes and nothing is lost; decoding
replaces a byte sequence that is not valid UTF-8 (a model's sample cut mid-character).
"""

import numpy as np

UNKNOWN = 0  # id of any character not in the train split's vocabulary
BYTE = "byte"
KINDS = ("char", BYTE)
Vocab = list[str] | str


def size(vocab: Vocab) -> int:
    """Number of ids: 256 bytes, or the known characters plus the unknown id 0."""
    return 256 if vocab == BYTE else len(vocab) + 1


def char_dtype(vocab: list[str]) -> np.dtype:
    """The smallest unsigned type that holds every id of this character vocabulary."""
    ids = len(vocab) + 1
    return np.dtype(np.uint8 if ids <= 256 else np.uint16 if ids <= 65536 else np.uint32)


def encode(text: str, vocab: Vocab) -> np.ndarray:
    """Byte ids, or character ids (1 + position in ``vocab``) with unseen characters UNKNOWN."""
    if vocab == BYTE:
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    known = np.array([ord(c) for c in vocab], dtype=np.uint32)
    order = np.argsort(known)
    pos = np.searchsorted(known[order], codes).clip(0, len(known) - 1)
    hit = known[order][pos] == codes
    return np.where(hit, order[pos] + 1, UNKNOWN).astype(char_dtype(list(vocab)))


def decode(ids: list[int], vocab: Vocab) -> str:
    if vocab == BYTE:
        return bytes(ids).decode("utf-8", errors="replace")
    return "".join(vocab[i - 1] if 0 < i <= len(vocab) else "\ufffd" for i in ids)


def unknown_chars(text: str, vocab: Vocab) -> list[str]:
    """Characters of ``text`` that ``vocab`` cannot encode (none for bytes)."""
    return [] if vocab == BYTE else sorted(set(text) - set(vocab))
