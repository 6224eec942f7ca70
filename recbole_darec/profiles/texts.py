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


def json_problem(err):
    """A JSONDecodeError in words, with its column and, for a control character, the fix (Python's own message
    stops at "Invalid control character at")."""
    hint = ""
    if "control character" in err.msg:
        hint = "; a tab or line break inside a text must be written as \\t or \\n"
    return f"not valid JSON at column {err.colno} ({err.msg.removesuffix(' at')}{hint})."


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


def read_jsonl(path, id_keys=("id",), text_keys=("text",), allow_empty=False):
    """``{id: text}`` of a JSONL file, one object a line, the id under the first of ``id_keys`` it has and
    the text under the first of ``text_keys``; file:line errors for bad JSON, missing keys, duplicate ids
    and (unless ``allow_empty``) empty texts."""
    texts = {}
    with open(path, "r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ProfileError(f"{path}, line {lineno}: {json_problem(err)}") from None
            id_key = next((k for k in id_keys if isinstance(record, dict) and k in record), None)
            text_key = next((k for k in text_keys if isinstance(record, dict) and k in record), None)
            if id_key is None or text_key is None:
                wanted = " and ".join(" or ".join(f'"{k}"' for k in keys) for keys in (id_keys, text_keys))
                raise ProfileError(f"{path}, line {lineno}: needs the keys {wanted}.")
            key, text = str(record[id_key]), record[text_key]
            if key in texts:
                raise ProfileError(f"{path}, line {lineno}: duplicate id {key!r}; keep one profile per id.")
            if not allow_empty and (not isinstance(text, str) or not text.strip()):
                raise ProfileError(f"{path}, line {lineno}: empty profile text for id {key!r}.")
            texts[key] = text
    return texts


def read_texts(path):
    """``{raw id: text}`` from this package's JSONL profile file (``{"id", "text", "source"}`` lines)."""
    texts = read_jsonl(path)
    if not texts:
        raise ProfileError(f"{path}: no profiles in the file.")
    return texts


def texts_digest(texts):
    """Content hash of a profile set, independent of its order: part of the embedding cache key."""
    digest = hashlib.sha256()
    for key in sorted(texts):
        digest.update(json.dumps([key, texts[key]], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()
