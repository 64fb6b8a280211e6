"""A bounded, thread-safe, in-process cache of logits per (premise, hypothesis) pair.

Keys are 128-bit BLAKE2b digests of the pair and of everything else that
changes the logits but is not already fixed by the engine that owns the cache
(the token limit); the engine itself is keyed by model, device, precision and backend.
Digests keep the cache small (no text is held) and make a wrong hit as likely
as a 128-bit collision.
"""

from __future__ import annotations

import threading
from hashlib import blake2b

import numpy as np

DEFAULT_CAPACITY = 100_000


def pair_key(premise, hypothesis, max_length):
    """Digest of one pair; unambiguous whatever characters the texts hold."""
    first = premise.encode("utf-8", "surrogatepass")
    digest = blake2b(digest_size=16, person=max_length.to_bytes(8, "little"))
    digest.update(len(first).to_bytes(8, "little"))
    digest.update(first)
    digest.update(hypothesis.encode("utf-8", "surrogatepass"))
    return digest.digest()


class ResultCache:
    """Logit rows by key, oldest evicted first once ``capacity`` rows are held.

    Rows are stored only once they are complete: a batch interrupted by an
    exception leaves nothing behind.
    """

    def __init__(self, width, capacity=DEFAULT_CAPACITY):
        self.width = width
        self._lock = threading.Lock()
        self._resize(capacity)

    def _resize(self, capacity):
        self.capacity = int(capacity)
        self._slot_of = {}
        self._key_in = [None] * self.capacity
        self._values = np.empty((self.capacity, self.width), dtype=np.float32)
        self._next = 0

    def resize(self, capacity):
        """Set a new capacity; the cache is emptied."""
        with self._lock:
            self._resize(capacity)

    def __len__(self):
        return len(self._slot_of)

    def get(self, keys, out):
        """Fill ``out[i]`` for every cached ``keys[i]``; return the boolean mask of hits."""
        hits = np.zeros(len(keys), dtype=bool)
        with self._lock:
            for i, key in enumerate(keys):
                slot = self._slot_of.get(key)
                if slot is not None:
                    out[i] = self._values[slot]
                    hits[i] = True
        return hits

    def put(self, keys, rows):
        if self.capacity == 0:
            return
        with self._lock:
            for key, row in zip(keys, rows):
                if key in self._slot_of:
                    continue
                slot = self._next
                evicted = self._key_in[slot]
                if evicted is not None:
                    del self._slot_of[evicted]
                self._key_in[slot] = key
                self._values[slot] = row
                self._slot_of[key] = slot
                self._next = (slot + 1) % self.capacity
