"""The profile pipeline of a configured dataset: texts (imported, constructed or generated), their encoding into
the vector store, the splits they are audited against."""

import copy
import os
from logging import getLogger

from recbole.utils import init_seed

from recbole_darec.data.files import interaction_ids
from recbole_darec.filenames import text_path
from recbole_darec.profiles.encoder import DEFAULT_ENCODER, TextEncoder
from recbole_darec.profiles.sources import (
    ProfileGenerator,
    construct_item_texts,
    construct_user_texts,
    describe_rows,
    import_texts,
    read_id_map,
    read_side_table,
)
from recbole_darec.profiles.store import VectorStore
from recbole_darec.profiles.texts import ProfileError, read_texts, texts_digest, write_texts

SOURCES = ("auto", "import", "construct", "generate")


def split_pairs(config):
    """``{split: [(raw user, raw item), ...]}`` for train, valid and test, exactly as a run with ``config`` splits."""
    from recbole_darec.data.dataset import Dataset

    plain = copy.copy(config)
    plain.final_config_dict = dict(
        config.final_config_dict,
        additional_feat_suffix=None,
        preload_weight=None,
        alias_of_user_id=None,
        alias_of_item_id=None,
    )
    init_seed(config["seed"], config["reproducibility"])  # the same permutation the run will draw
    dataset = Dataset(plain)
    result = {}
    for split, part in zip(("train", "valid", "test"), dataset.build()):
        users = dataset.id2token(dataset.uid_field, part.inter_feat[dataset.uid_field].numpy())
        items = dataset.id2token(dataset.iid_field, part.inter_feat[dataset.iid_field].numpy())
        result[split] = list(zip(users.tolist(), items.tolist()))
    return result


def training_pairs(config):
    """(raw user, raw item) pairs of the training split exactly as a run with ``config`` will split it."""
    return split_pairs(config)["train"]


def audit_profiles(config, names_file=None):
    """The leakage audit (:mod:`.audit`) of ``config``'s dataset: its user profile texts against its splits."""
    from recbole_darec.profiles.audit import audit_folder

    folder, dataset = config["data_path"], config["dataset"]
    user_path = text_path(folder, dataset, "user")
    if not os.path.isfile(user_path):
        raise ProfileError(
            f"no user profile texts at {user_path}: import or build them first "
            f"(python -m recbole_darec.profiles --dataset={dataset})."
        )
    return audit_folder(folder, dataset, split_pairs(config), config["ITEM_ID_FIELD"], names_file)


def _side_table(config, kind):
    path = os.path.join(config["data_path"], f"{config['dataset']}.{kind}")
    field = config["USER_ID_FIELD"] if kind == "user" else config["ITEM_ID_FIELD"]
    return read_side_table(path, field) if os.path.isfile(path) else None


def build_texts(config, kinds, source="auto", user_src=None, item_src=None, user_map=None, item_map=None):
    """Load or make the profile texts of ``kinds`` and write them beside the dataset. Returns {kind: texts}."""
    if source not in SOURCES:
        raise ProfileError(f"unknown profile source '{source}'; use one of {', '.join(SOURCES)}.")
    logger = getLogger()
    paths = {k: text_path(config["data_path"], config["dataset"], k) for k in kinds}
    result = {}
    if source == "auto":
        for kind in kinds:
            if os.path.isfile(paths[kind]):
                result[kind] = read_texts(paths[kind])
        missing = [k for k in kinds if k not in result]
        if not missing:
            return result
        kinds, source = missing, "construct"
    if source == "import":
        srcs = {"user": (user_src, user_map), "item": (item_src, item_map)}
        for kind in kinds:
            src, id_map = srcs[kind]
            if not src:
                raise ProfileError(f"--source=import needs --{kind}_src=<file> for the {kind} profiles.")
            result[kind] = import_texts(src, read_id_map(id_map) if id_map else None)
            write_texts(paths[kind], result[kind], f"import:{os.path.basename(src)}")
        return result
    item_table = _side_table(config, "item")
    pairs = training_pairs(config) if "user" in kinds else []
    if source == "generate":
        if not config["profile_generator"]:
            raise ProfileError("--source=generate needs --profile_generator=<causal LM name or local path>.")
        info = describe_rows(item_table) if item_table is not None else {}
        for _, item in pairs:
            info.setdefault(item, f"item {item}")
        generator = ProfileGenerator(config["profile_generator"], config["profile_generator_max_new_tokens"])
        users, items = generator.generate(info, pairs, config["profile_user_items"])
        made = {"user": users, "item": items}
    else:
        made = {}
        if "item" in kinds:
            if item_table is None:
                raise ProfileError(
                    f"cannot construct item profiles: {config['dataset']}.item is missing in "
                    f"{config['data_path']}; import LLM profiles with --source=import instead."
                )
            made["item"] = construct_item_texts(item_table)
        if "user" in kinds:
            made["user"] = construct_user_texts(
                pairs, _side_table(config, "user"), item_table, config["profile_user_items"]
            )
    for kind in kinds:
        result[kind] = made[kind]
        write_texts(paths[kind], made[kind], source)
        logger.info(f"wrote {len(made[kind])} {kind} profiles ({source}) to {paths[kind]}")
    return result


def make_encoder(config):
    return TextEncoder(
        config["profile_encoder"] or DEFAULT_ENCODER,
        config["profile_encoder_revision"],
        threads=config["profile_encoder_threads"],
        batch_size=config["profile_encoder_batch_size"],
        normalize=config["profile_normalize"],
    )


def ensure_profile_embeddings(config, kinds=("user", "item"), force=False, encoder=None, **text_options):
    """Build texts and vectors of ``kinds`` unless a fresh cache exists.

    Returns ``{kind: "cached" | "restored" | "encoded" | "supplied"}``.
    """
    logger = getLogger()
    stores = {kind: VectorStore(config["data_path"], config["dataset"], kind) for kind in kinds}
    status = {}
    for kind, store in stores.items():
        if store.supplied() and not force:
            status[kind] = "supplied"
            logger.info(f"using user-supplied {store.path} (no .meta.json beside it)")
    todo = [kind for kind in kinds if kind not in status]
    if not todo:
        return status
    texts = build_texts(config, todo, **text_options)
    if not config["profile_allow_missing"]:  # before any encoding: the dataset would refuse the vectors after it
        for kind in todo:
            missing = sorted(interaction_ids(config, kind) - set(texts[kind]))
            if missing:
                raise ProfileError(
                    f"{len(missing)} {kind}(s) of '{config['dataset']}' have no profile text in "
                    f"{text_path(config['data_path'], config['dataset'], kind)} (e.g. {', '.join(missing[:5])}): add "
                    "their texts (python -m recbole_darec profiles --source=import ...), or set "
                    "profile_allow_missing: True to give them zero vectors."
                )
    encoder = encoder or make_encoder(config)
    for kind in todo:
        store = stores[kind]
        key = dict(encoder.cache_key(), texts_sha256=texts_digest(texts[kind]), count=len(texts[kind]))
        if not force and store.holds(key):
            status[kind] = "cached"
            continue
        if not force and store.restore(key):
            status[kind] = "restored"
            logger.info(f"restored {store.path} ({key['encoder']}) from {store.previous_dir}")
            continue
        ids = list(texts[kind])
        estimate = ""
        if len(ids) > 256:  # worth saying how long the wait will be
            minutes = encoder.estimate_seconds(texts[kind][i] for i in ids) / 60
            estimate = f": about {minutes:.0f} min here (timed on 32 of them)" if minutes >= 1 else ": under a minute"
        logger.info(f"encoding {len(ids)} {kind} profiles of {config['dataset']} with {encoder.name}{estimate}")
        vectors = encoder.encode([texts[kind][i] for i in ids], show_progress=config["show_progress"])
        store.write(ids, vectors, key)
        status[kind] = "encoded"
    return status
