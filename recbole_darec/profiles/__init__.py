"""LLM profiles: one text per user and item, encoded to vectors, attached as RecBole atomic files.

Where each part lives: :mod:`.texts` (the text files), :mod:`.sources` (importing, constructing, generating
texts), :mod:`.encoder` (the sentence encoder), :mod:`.store` (the vector files and their cache), :mod:`.vectors`
(vectors read back for evaluation), :mod:`.pipeline` (all of it for a configured dataset), :mod:`.audit` (the
leakage audit). This module only re-exports.
"""

from recbole_darec.profiles.encoder import DEFAULT_ENCODER, TextEncoder
from recbole_darec.profiles.pipeline import (
    audit_profiles,
    build_texts,
    ensure_profile_embeddings,
    make_encoder,
    split_pairs,
    training_pairs,
)
from recbole_darec.profiles.store import VectorStore, write_embedding_file
from recbole_darec.profiles.texts import ProfileError
from recbole_darec.profiles.vectors import profile_vectors

__all__ = [
    "ProfileError",
    "ensure_profile_embeddings",
    "build_texts",
    "make_encoder",
    "training_pairs",
    "split_pairs",
    "audit_profiles",
    "profile_vectors",
    "TextEncoder",
    "VectorStore",
    "write_embedding_file",
    "DEFAULT_ENCODER",
]
