"""Checks on RecBole atomic files before pandas reads them.

RecBole parses atomic files with pandas, which pads short lines with NaN, turns
``nan`` into a float and accepts vectors of mixed length (``preload_weight`` then
zero-pads them). Each of those silently changes the data, so we scan the file once
and stop at the first bad line with its file, line number and the fix.
"""

import math


class AtomicFileError(ValueError):
    """A malformed atomic file; the message names file, line and fix."""


def read_header(path, field_separator="\t", encoding="utf-8"):
    with open(path, "r", encoding=encoding) as f:
        head = f.readline().rstrip("\r\n")
    fields = []
    for column in head.split(field_separator):
        if ":" not in column:
            raise AtomicFileError(
                f"{path}, line 1: header column {column!r} lacks its type; "
                "write columns as name:type (token, float, token_seq, float_seq)."
            )
        name, ftype = column.split(":", 1)
        fields.append((name, ftype))
    return fields


def data_lines(path, names, field_separator="\t", encoding="utf-8"):
    """``(line number, values)`` of every non-empty line below the header, each with the header's column count
    (else an :class:`AtomicFileError` naming the line)."""
    with open(path, "r", encoding=encoding) as f:
        f.readline()
        for lineno, line in enumerate(f, start=2):
            line = line.rstrip("\r\n")
            if not line:
                continue
            values = line.split(field_separator)
            if len(values) != len(names):
                raise AtomicFileError(
                    f"{path}, line {lineno}: {len(values)} columns, but the header declares {len(names)} "
                    f"({', '.join(names)}); check the separator ({field_separator!r}) and stray tabs in text fields."
                )
            yield lineno, values


def validate_atomic_file(
    path, field_separator="\t", seq_separator=" ", encoding="utf-8", unique_key=None, load_fields=None
):
    """Scan ``path``; raise :class:`AtomicFileError` on the first bad line.

    Checks: every line has the header's column count; ``float`` fields parse as finite
    numbers (empty means missing); ``float_seq`` vectors parse, are finite and all have
    the same length; if ``unique_key`` (a tuple of field names) is given, no key
    repeats. ``load_fields`` limits the value checks to the columns RecBole will load.
    Returns the number of data lines.
    """
    fields = read_header(path, field_separator, encoding)
    names = [name for name, _ in fields]
    checked = [
        (i, name, ftype)
        for i, (name, ftype) in enumerate(fields)
        if ftype in ("float", "float_seq") and (load_fields is None or name in load_fields)
    ]
    key_index = [names.index(k) for k in unique_key] if unique_key and all(k in names for k in unique_key) else None
    seq_len = {}
    seen = {}
    lines = 0
    for lineno, values in data_lines(path, names, field_separator, encoding):
        lines += 1
        for i, name, ftype in checked:
            raw = values[i]
            if ftype == "float":
                if raw == "":
                    continue
                _finite(raw, path, lineno, name)
            else:
                vector = [_finite(x, path, lineno, name) for x in raw.split(seq_separator) if x]
                expected = seq_len.setdefault(name, (len(vector), lineno))
                if len(vector) != expected[0]:
                    raise AtomicFileError(
                        f"{path}, line {lineno}: field '{name}' has {len(vector)} values, but line {expected[1]} "
                        f"has {expected[0]}; every vector in a file must have the same dimension."
                    )
        if key_index is not None:
            key = tuple(values[i] for i in key_index)
            first = seen.setdefault(key, lineno)
            if first != lineno:
                raise AtomicFileError(
                    f"{path}, line {lineno}: duplicate {'/'.join(unique_key)} {key} (first on line {first}); "
                    "remove the repeated line"
                    + (", or set rm_dup_inter: first to let RecBole drop repeats." if len(unique_key) == 2 else ".")
                )
    return lines


def _finite(text, path, lineno, name):
    try:
        value = float(text)
    except ValueError:
        raise AtomicFileError(f"{path}, line {lineno}: field '{name}' holds {text!r}, not a number.") from None
    if not math.isfinite(value):
        raise AtomicFileError(
            f"{path}, line {lineno}: field '{name}' holds {text!r}; NaN and infinite values "
            "are not allowed (re-encode the profiles or fix the file)."
        )
    return value
