"""Profile texts on disk: ``<dataset>.uprofile.jsonl`` and ``<dataset>.iprofile.jsonl``.

One JSON object a line, ``{"id": <raw id>, "text": <profile>, "source": <where it came from>}``,
keyed by the dataset's raw ids (the tokens in its atomic files), human-readable and
safe for any text (tabs, newlines, quotes).
"""

import hashlib
import json

from recbole_darec.atomic_io import atomic_write_text


class ProfileError(ValueError):
    """Bad profile input; the message names the file, line or id and the fix."""


def check_texts(texts, origin):
    """Every id needs a non-empty text; ``origin`` names where they came from in errors."""
    for key, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise ProfileError(f"{origin}: profile of id {key!r} is empty; write a text for it or remove the id.")
    return texts


def write_texts(path, texts, source):
    """``source``: one label for all texts, or ``{id: label}`` when they came from different places."""
    check_texts(texts, path)
    label = source.get if isinstance(source, dict) else (lambda _: source)
    lines = "".join(
        json.dumps({"id": str(k), "text": v, "source": label(k)}, ensure_ascii=False) + "\n" for k, v in texts.items()
    )
    atomic_write_text(path, lines)


def read_texts(path):
    """``{raw id: text}`` from a JSONL profile file, with file:line errors for anything malformed."""
    texts = {}
    with open(path, "r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ProfileError(
                    f'{path}, line {lineno}: not valid JSON ({err.msg}); each line must be {{"id": ..., "text": ...}}.'
                ) from None
            if not isinstance(record, dict) or "id" not in record or "text" not in record:
                raise ProfileError(f'{path}, line {lineno}: needs the keys "id" and "text".')
            key = str(record["id"])
            if key in texts:
                raise ProfileError(f"{path}, line {lineno}: duplicate id {key!r}; keep one profile per id.")
            if not isinstance(record["text"], str) or not record["text"].strip():
                raise ProfileError(f"{path}, line {lineno}: empty profile text for id {key!r}.")
            texts[key] = record["text"]
    if not texts:
        raise ProfileError(f"{path}: no profiles in the file.")
    return texts


def texts_digest(texts):
    """Content hash of a profile set, independent of its order: part of the embedding cache key."""
    digest = hashlib.sha256()
    for key in sorted(texts):
        digest.update(json.dumps([key, texts[key]], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()
