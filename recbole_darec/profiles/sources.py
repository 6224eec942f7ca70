"""Where profile texts come from: imported LLM output, constructed side information, or a local LLM.

*imported*: a JSON ``{id: text}`` file (CoLaKG's ``llm_response_*.json``), RLMRec's
``usr_prf.pkl`` / ``itm_prf.pkl`` (``{id: {"profile": ..., "reasoning": ...}}``) or a
CSV/TSV with ``id`` and ``text`` columns; ids may be mapped through a ``raw mapped``
map file.
*constructed*: item text from the ``.item`` file's columns; user text from the
``.user`` file plus a summary of the user's **training** interactions only.
*generated*: a transformers causal LM writes item profiles first, then user profiles
from their training items' profiles, following RLMRec's two-stage prompting.
"""

import csv
import json
import os
import pickle
from collections import Counter

import pandas as pd

from recbole_darec.profiles.texts import ProfileError, check_texts, json_problem, read_jsonl


# ---------------------------------------------------------------------- imported
class _PlainDataUnpickler(pickle.Unpickler):
    """RLMRec's profile pickles hold dicts of strings only; refuse any class or function."""

    def find_class(self, module, name):
        raise ProfileError(
            f"pickle refers to {module}.{name}; only plain dicts/lists/strings are accepted "
            "in profile pickles (nothing was executed)."
        )


def read_id_map(path):
    """``{mapped id: raw id}`` from a ``raw_id mapped_id`` text file (CoLaKG/LightGCN layout)."""
    mapping = {}
    with open(path, "r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ProfileError(f"{path}, line {lineno}: expected 'raw_id mapped_id', got {line.strip()!r}.")
            raw, mapped = parts
            if mapped in mapping:
                raise ProfileError(f"{path}, line {lineno}: mapped id {mapped} appears twice.")
            mapping[mapped] = raw
    return mapping


def import_texts(src, id_map=None, allow_empty=False):
    """``{raw id: text}`` from a JSON, RLMRec pickle or CSV/TSV file; ``id_map`` maps file ids to raw ids.

    Empty texts are an error, or with ``allow_empty`` kept as "" for the caller to fill.
    """
    ext = os.path.splitext(src)[1].lower()
    if ext == ".json":
        with open(src, "r", encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as err:
                raise ProfileError(f"{src}, line {err.lineno}: {json_problem(err)}") from None
        if not isinstance(data, dict):
            raise ProfileError(f"{src}: expected a JSON object {{id: text}}.")
    elif ext == ".pkl":
        with open(src, "rb") as f:
            data = _PlainDataUnpickler(f).load()
        if not isinstance(data, dict):
            raise ProfileError(f"{src}: expected a pickled dict {{id: {{'profile': ...}}}}.")
        data = {k: (v.get("profile") if isinstance(v, dict) else v) for k, v in data.items()}
    elif ext == ".jsonl":  # this package's own files, or DBbook's {"user_id", "profile"} lines
        data = read_jsonl(src, ("id", "user_id", "item_id"), ("text", "profile"), allow_empty=allow_empty)
    elif ext in (".csv", ".tsv"):
        data = {}
        with open(src, "r", encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t" if ext == ".tsv" else ",")
            if not reader.fieldnames or not {"id", "text"} <= set(reader.fieldnames):
                raise ProfileError(f"{src}, line 1: needs the columns 'id' and 'text'.")
            for row in reader:
                if row["id"] in data:
                    raise ProfileError(f"{src}, line {reader.line_num}: duplicate id {row['id']!r}.")
                data[row["id"]] = row["text"]
    else:
        raise ProfileError(f"{src}: unknown profile format '{ext}'; use .json, .jsonl, .pkl (RLMRec) or .csv/.tsv.")
    texts = {}
    for key, text in data.items():
        key = str(key)
        if id_map is not None:
            if key not in id_map:
                raise ProfileError(f"{src}: id {key!r} is not in the id map; pass the matching map file.")
            key = id_map[key]
        if key in texts:
            raise ProfileError(f"{src}: two entries map to raw id {key!r}.")
        texts[key] = text
    return texts if allow_empty else check_texts(texts, src)


# ---------------------------------------------------------------------- constructed
def read_side_table(path, id_field):
    """Raw strings of a .user/.item atomic file, indexed by id, columns renamed to bare field names."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
    table.columns = [c.split(":", 1)[0] for c in table.columns]
    if id_field not in table.columns:
        raise ProfileError(f"{path}: no '{id_field}' column to key the profiles by.")
    return table.drop_duplicates(subset=[id_field]).set_index(id_field)


def _pretty(field):
    return field.replace("_", " ").strip().capitalize()


def describe_rows(table):
    """One sentence per row from its non-empty columns: 'Movie title: Toy Story. Release year: 1995.'"""
    texts = {}
    for key, row in table.iterrows():
        parts = [f"{_pretty(col)}: {val.strip()}" for col, val in row.items() if isinstance(val, str) and val.strip()]
        texts[str(key)] = ". ".join(parts) + "." if parts else ""
    return texts


def _pick_column(table, hints, override=None):
    if override:
        if override not in table.columns:
            raise ProfileError(f"column '{override}' is not in the item file (has {list(table.columns)}).")
        return override
    return next((c for c in table.columns if any(h in c.lower() for h in hints)), None)


def construct_item_texts(item_table):
    texts = describe_rows(item_table)
    empty = [k for k, v in texts.items() if not v]
    if empty:
        raise ProfileError(f"items {empty[:5]} have no side information to describe; import LLM profiles instead.")
    return texts


def construct_user_texts(
    train_pairs, user_table=None, item_table=None, max_items=10, title_field=None, category_field=None
):
    """Describe each user from the .user columns and their training items' titles and categories.

    ``train_pairs``: iterable of (raw user id, raw item id) from the **training split only**.
    """
    by_user = {}
    for user, item in train_pairs:
        by_user.setdefault(str(user), []).append(str(item))
    title = category = None
    if item_table is not None:
        title = _pick_column(item_table, ("title", "name"), title_field)
        category = _pick_column(item_table, ("class", "genre", "categor", "tag"), category_field)
    described = describe_rows(user_table) if user_table is not None else {}
    texts = {}
    for user, items in by_user.items():
        parts = [described[user]] if described.get(user) else []
        parts.append(f"Interacted with {len(items)} items in training.")
        if category is not None:
            counts = Counter(
                tok
                for i in items
                if i in item_table.index
                for tok in item_table.at[i, category].replace("|", " ").split()
            )
            if counts:
                parts.append(
                    "Most frequent "
                    + _pretty(category).lower()
                    + ": "
                    + ", ".join(f"{c} ({n})" for c, n in counts.most_common(5))
                    + "."
                )
        names = [
            item_table.at[i, title] if title is not None and i in item_table.index else f"item {i}"
            for i in items[:max_items]
        ]
        parts.append("Examples: " + "; ".join(names) + ".")
        texts[user] = " ".join(parts)
    return texts


# ---------------------------------------------------------------------- generated
ITEM_PROMPT = (
    "You will describe an item to a recommender system. Item information: {info}\n"
    "Summarize in a few sentences which kinds of users would enjoy this item and why.\nProfile:"
)
USER_PROMPT = (
    "You will describe a user to a recommender system. The user interacted with these items:\n{items}\n"
    "Summarize in a few sentences the user's preferences.\nProfile:"
)


class ProfileGenerator:
    """RLMRec-style two-stage generation with a local transformers causal LM (greedy, deterministic)."""

    def __init__(self, model_name_or_path, max_new_tokens=64, min_new_tokens=8, batch_size=8):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_name_or_path)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.tokenizer.padding_side = "left"
        self.model = AutoModelForCausalLM.from_pretrained(model_name_or_path).eval()
        self.device = "cuda" if torch.cuda.is_available() else "cpu"  # generation is the slow step: use a GPU
        self.model.to(self.device)
        self.max_new_tokens, self.min_new_tokens, self.batch_size = max_new_tokens, min_new_tokens, batch_size

    def complete(self, prompts):
        import torch

        outputs = []
        for start in range(0, len(prompts), self.batch_size):
            batch = self.tokenizer(prompts[start : start + self.batch_size], return_tensors="pt", padding=True)
            batch = batch.to(self.device)
            with torch.no_grad():
                generated = self.model.generate(
                    **batch,
                    do_sample=False,
                    max_new_tokens=self.max_new_tokens,
                    min_new_tokens=min(self.min_new_tokens, self.max_new_tokens),
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            new_tokens = generated[:, batch["input_ids"].shape[1] :]
            outputs += [t.strip() for t in self.tokenizer.batch_decode(new_tokens.cpu(), skip_special_tokens=True)]
        return outputs

    def generate(self, item_info, train_pairs, max_items=10):
        """(user texts, item texts): items from their side information, users from their items' profiles."""
        item_ids = list(item_info)
        item_texts = dict(zip(item_ids, self.complete([ITEM_PROMPT.format(info=item_info[i]) for i in item_ids])))
        by_user = {}
        for user, item in train_pairs:
            by_user.setdefault(str(user), []).append(str(item))
        user_ids = list(by_user)
        prompts = [
            USER_PROMPT.format(
                items="\n".join(f"- {item_texts.get(i, item_info.get(i, i))}" for i in by_user[u][:max_items])
            )
            for u in user_ids
        ]
        user_texts = dict(zip(user_ids, self.complete(prompts)))
        return check_texts(user_texts, "generated user profiles"), check_texts(item_texts, "generated item profiles")
