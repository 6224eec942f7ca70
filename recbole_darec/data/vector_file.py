"""Profile-vector atomic files (``<dataset>.useremb`` / ``.itememb``) read once, then from a binary cache.

The text file stays the interchange format (RecBole's ``id:token  vector:float_seq``). Reading it is checked line
by line (one length, finite values, unique ids; the file, line and fix named), each value parsed with Python's
``float`` as RecBole does, so the vectors are the same to the last bit. The result is kept beside the file:

* ``<file>.cache.npy``: the vectors, float64, rows in the file's order, loaded memory-mapped (no copy is read into
  memory until a model asks for rows);
* ``<file>.cache.json``: the text file's sha256, this module's ``FORMAT`` and the ids in row order.

A cache whose sha256 or format differs from the text file's is stale and rebuilt; one that cannot be read (cut
short, edited) is rebuilt with a warning. Nothing else trusts it.
"""

import json
import os
from logging import getLogger

import numpy as np

from recbole_darec.atomic_io import atomic_write_bytes, atomic_write_text
from recbole_darec.data.atomic import AtomicFileError, data_lines, read_header
from recbole_darec.data.identity import file_sha256

FORMAT = "recbole_darec.vector_cache/1"


def parse_vector_file(path, id_field, vector_field, field_separator="\t", encoding="utf-8"):
    """``(ids, float64 matrix)`` of a vector file, checked; :class:`AtomicFileError` names the first bad line."""
    header = read_header(path, field_separator, encoding)
    names = [name for name, _ in header]
    if dict(header).get(id_field) != "token" or dict(header).get(vector_field) != "float_seq":
        raise AtomicFileError(
            f"{path}, line 1: a profile-vector file needs the columns {id_field}:token and {vector_field}:float_seq, "
            f"not {field_separator.join(f'{n}:{t}' for n, t in header)}."
        )
    id_column, vector_column = names.index(id_field), names.index(vector_field)
    ids, rows, first_line = [], [], {}
    for lineno, values in data_lines(path, names, field_separator, encoding):
        key = values[id_column]
        if key in first_line:
            raise AtomicFileError(
                f"{path}, line {lineno}: duplicate {id_field} {key!r} (first on line {first_line[key]}); "
                "remove the repeated line."
            )
        first_line[key] = lineno
        try:
            row = np.array([float(x) for x in values[vector_column].split()], dtype=np.float64)
        except ValueError:
            bad = next(x for x in values[vector_column].split() if not _is_number(x))
            raise AtomicFileError(
                f"{path}, line {lineno}: field '{vector_field}' holds {bad!r}, not a number."
            ) from None
        if rows and len(row) != len(rows[0]):
            raise AtomicFileError(
                f"{path}, line {lineno}: field '{vector_field}' has {len(row)} values, but line "
                f"{first_line[ids[0]]} has {len(rows[0])}; every vector in a file must have the same dimension."
            )
        if not np.isfinite(row).all():
            raise AtomicFileError(
                f"{path}, line {lineno}: field '{vector_field}' holds NaN or infinite values (NaN and infinite "
                "values are not allowed); re-encode the profiles or fix the file."
            )
        ids.append(key)
        rows.append(row)
    if not rows:
        raise AtomicFileError(f"{path}: no vectors below the header.")
    return ids, np.vstack(rows)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_vector_file(path, id_field, vector_field, field_separator="\t", encoding="utf-8"):
    """``(ids, float64 matrix)`` of a vector file: from its cache when that is fresh (memory-mapped), else parsed
    (:func:`parse_vector_file`) and cached."""
    digest = file_sha256(path)
    cache, meta_path = path + ".cache.npy", path + ".cache.json"
    if os.path.isfile(meta_path) and os.path.isfile(cache):
        try:
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
            if (
                meta.get("sha256") == digest
                and meta.get("format") == FORMAT
                and meta.get("fields") == [id_field, vector_field]
            ):
                matrix = np.load(cache, mmap_mode="r")
                if matrix.dtype == np.float64 and matrix.ndim == 2 and len(matrix) == len(meta["ids"]):
                    return list(meta["ids"]), matrix
                raise ValueError("its array does not match its ids")
        except (OSError, ValueError, KeyError, TypeError) as err:
            getLogger().warning(f"{cache}: unreadable vector cache ({err}); rebuilding it from {path}.")
    ids, matrix = parse_vector_file(path, id_field, vector_field, field_separator, encoding)

    def write(f):
        np.save(f, matrix)

    atomic_write_bytes(cache, write)
    meta = {"format": FORMAT, "sha256": digest, "fields": [id_field, vector_field], "ids": ids}
    atomic_write_text(meta_path, json.dumps(meta))
    return ids, np.load(cache, mmap_mode="r")
