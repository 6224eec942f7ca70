"""The process-wide settings a run applies before it trains or scores: torch's threads and memory reuse."""

import ctypes
import ctypes.util
import os

import torch

from recbole_darec.checks import check_value

THREADS_ENV = "RECBOLE_DAREC_THREADS"
# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP_UP_TO_BYTES = 2**31 - 1


def configure_runtime(config):
    """Apply the process-wide settings of ``config`` before training or scoring: torch's threads
    (:func:`set_threads`) and ``reuse_freed_memory`` (:func:`reuse_freed_memory`).

    Returns ``(threads, whether freed memory is reused)`` for the log."""
    reuse = check_value(config, "reuse_freed_memory", bool, None, choices={True, False})
    return set_threads(config), reuse and reuse_freed_memory()


def set_threads(config):
    """Set torch's intra-op threads: $RECBOLE_DAREC_THREADS, else config['threads'] (0 keeps torch's default).

    Default 1 (``properties/overall.yaml``): on the 2-core reference machine a second thread
    did not speed LightGCN up and sped SGL up 15%, and a fixed count keeps results identical
    across machines (docs/results/threads.md).
    """
    threads = int(os.environ.get(THREADS_ENV) or config["threads"] or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def reuse_freed_memory():
    """Make glibc's malloc keep freed memory for the next tensor instead of returning it to the system.

    Why: a training step on the CPU allocates several tensors of 10-100 MB (a batch against every
    user or item in SGL's, SimGCL's and RLMRec's contrastive terms; full-ranking scores). glibc serves
    each from a fresh memory map and hands it back when freed, so the next step page-faults it in again:
    that was over half of an SGL or RLMRec-Con epoch on DBbook (docs/results/cost.md). Arithmetic is
    unchanged; the price is that the process keeps its peak heap. Returns False where it cannot apply
    (not glibc, or glibc refused the values)."""
    path = ctypes.util.find_library("c")
    libc = ctypes.CDLL(path) if path else None
    if libc is None or not hasattr(libc, "mallopt") or not hasattr(libc, "gnu_get_libc_version"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, KEEP_UP_TO_BYTES) and libc.mallopt(M_TRIM_THRESHOLD, KEEP_UP_TO_BYTES))
