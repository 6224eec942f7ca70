"""Profile leakage audit: how often a user's profile text names the items of each split.

A held-out split must be unseen by everything a model reads, the LLM profiles included: a
profile written from the interactions a model is validated or tested on turns that split into a
test of copying. For each split (train, valid, test) the audit counts the interactions whose
item has a known name, how many of those name the item in the user's own profile text, and the
rate; where some items have no name, the table says how many of the split's rows it checked ("16,227 of
16,254"). A held-out split whose rate is closer to the training rate than to zero is *flagged*.

Item names, in this order: a user-given ``item_id<TAB>name`` file; the ``.item`` file's first
column whose name contains ``title`` or ``name``; otherwise the item profiles themselves: the
text before the first " is ", " are ", " was ", " were " or ", " (as in "Moonspell is a
Portuguese band", "Robert Plant, a legendary figure ..."), kept when it has at most 8 words.
A name is found in a profile when it occurs there case-insensitively as whole words.
Runs on texts alone: no encoder is loaded.
"""

import os
import re

from recbole_darec.filenames import text_path
from recbole_darec.profiles.sources import read_side_table
from recbole_darec.profiles.texts import ProfileError, read_texts

SPLITS = ("train", "valid", "test")
_NAME_END = re.compile(r"\s(?:is|are|was|were)\s|,\s")
MAX_NAME_WORDS = 8


def names_from_profiles(item_texts):
    """``{item id: name}`` parsed from item profiles by the rule in the module docstring."""
    names = {}
    for item, text in item_texts.items():
        end = _NAME_END.search(text)
        if end:
            name = text[: end.start()].strip().strip("\"'").strip()
            if name and len(name.split()) <= MAX_NAME_WORDS:
                names[item] = name
    return names


def names_from_table(table):
    """``{item id: name}`` from an item side table (a pandas frame indexed by raw id), or None without a name column."""
    column = next((c for c in table.columns if "title" in c.lower() or "name" in c.lower()), None)
    if column is None:
        return None
    return {str(item): str(name) for item, name in table[column].items() if str(name).strip()}


def read_names_file(path):
    """``{item id: name}`` from an ``item_id<TAB>name`` file; a trailing ``;http...`` URI (DBbook's
    ``Title;DBpedia URI``) is not part of the name; an item named twice is an error."""
    names = {}
    with open(path, "r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            name = parts[-1].rsplit(";http", 1)[0].strip() if len(parts) == 2 else ""
            if not name or not parts[0].strip():
                raise ProfileError(f"{path}, line {lineno}: expected 'item_id<TAB>name', got {line.strip()!r}.")
            if parts[0].strip() in names:
                raise ProfileError(f"{path}, line {lineno}: item {parts[0].strip()} is named twice.")
            names[parts[0].strip()] = name
    return names


def _pattern(name):
    return re.compile(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)")


def audit_splits(splits, user_texts, item_names):
    """``splits``: ``{split: [(user, item), ...]}`` of raw ids. Returns the audit as a dict (see module doc)."""
    patterns = {item: _pattern(name) for item, name in item_names.items()}
    lowered = {user: text.lower() for user, text in user_texts.items()}
    report = {}
    for split, pairs in splits.items():
        counted = named = 0
        for user, item in pairs:
            if item not in patterns:
                continue
            counted += 1
            named += bool(patterns[item].search(lowered.get(user, "")))
        report[split] = {
            "interactions": len(pairs),
            "checked": counted,  # rows whose item has a name to look for (untitled items cannot be checked)
            "named": named,
            "rate": named / counted if counted else 0.0,
        }
    train_rate = report["train"]["rate"] if "train" in report else 0.0
    report["flagged"] = [s for s in SPLITS[1:] if s in report and train_rate > 0 and report[s]["rate"] > train_rate / 2]
    return report


def warning_text(report):
    """One warning per flagged split, or an empty list."""
    train = report["train"]["rate"]
    return [
        f"warning: the user profiles name {report[s]['rate']:.1%} of the {s} split's items, as often as the "
        f"training split's ({train:.1%}): the profiles were written from these interactions, so {s} metrics "
        f"reward copying the profiles. Hold out interactions the profiles have not seen (for CoLaKG-style "
        f"data: python -m recbole_darec.convert lightgcn-txt ... --valid_from=test)."
        for s in report["flagged"]
    ]


def _checked(part):
    """The rows checked, with the split's size where some rows could not be checked: '16,227 of 16,254'."""
    if part["checked"] == part["interactions"]:
        return f"{part['checked']:,}"
    return f"{part['checked']:,} of {part['interactions']:,}"


def format_report(report):
    lines = [f"{'split':<6} {'interactions checked':>22} {'named':>8} {'rate':>8}"]
    lines += [
        f"{s:<6} {_checked(report[s]):>22} {report[s]['named']:>8} {report[s]['rate']:>8.2%}"
        for s in SPLITS
        if s in report
    ]
    lines.append(f"flagged: {', '.join(report['flagged']) or 'none'}")
    return "\n".join(lines + warning_text(report))


def item_names(item_texts=None, item_table=None, names_file=None):
    """Item names by the module's order of sources; a :class:`ProfileError` when none gives any."""
    if names_file:
        if not os.path.isfile(names_file):
            raise ProfileError(f"--item_names={names_file}: no such file.")
        return read_names_file(names_file)
    if item_table is not None:
        names = names_from_table(item_table)
        if names:
            return names
    names = names_from_profiles(item_texts or {})
    if not names:
        raise ProfileError(
            "no item names: the .item file has no title/name column and no item profile starts "
            "with a name; pass --item_names=<file of item_id<TAB>name lines>."
        )
    return names


def audit_folder(folder, dataset, splits, item_id_field="item_id", names_file=None):
    """The audit of the user profile texts kept beside ``dataset``'s files in ``folder`` against ``splits``
    (item names by :func:`item_names` from the item texts and the ``.item`` file there); None without user texts."""
    user_path = text_path(folder, dataset, "user")
    if not os.path.isfile(user_path):
        return None
    item_path, side = text_path(folder, dataset, "item"), os.path.join(folder, f"{dataset}.item")
    item_texts = read_texts(item_path) if os.path.isfile(item_path) else None
    table = read_side_table(side, item_id_field) if os.path.isfile(side) else None
    return audit_splits(splits, read_texts(user_path), item_names(item_texts, table, names_file))
