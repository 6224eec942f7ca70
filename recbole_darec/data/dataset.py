"""RecBole's Dataset with input checks and LLM-profile vectors aligned to internal ids.

Profile vectors come from ``<dataset>.useremb`` / ``<dataset>.itememb`` atomic files
(``uid:token  user_emb:float_seq``, ``iid:token  item_emb:float_seq``), named by RecBole's
``additional_feat_suffix`` + ``alias_of_*`` + ``preload_weight`` settings. RecBole would parse them into
a table of Python arrays and copy them twice more (its preload matrix, its Interaction); here they are read
through a checked binary cache (:mod:`recbole_darec.data.vector_file`), RecBole's table keeps only their ids
(so its id remapping applies), and the one matrix aligned to internal ids is built from the cache.
Two of RecBole's traps are closed here: ids present only in an embedding file would
silently become new users/items, and ids without a vector would silently get a zero
row; the first are dropped with a warning, the second are an error unless
``profile_allow_missing`` is set.
"""

import os

import numpy as np
import pandas as pd
import torch
from recbole.data.dataset import Dataset as RecBoleDataset
from recbole.utils import FeatureSource, FeatureType

from recbole_darec.data.atomic import AtomicFileError, validate_atomic_file
from recbole_darec.data.corruption import corrupt_profiles, corruption_settings, corruption_tag
from recbole_darec.data.vector_file import read_vector_file
from recbole_darec.filenames import VECTOR_FIELDS, VECTOR_KIND

PROFILE_CHUNK = 16384  # rows of profile vectors read from the cache at once: a bounded float64 copy


def _profile_file(suffix):
    """(kind, id field, vector field) of a profile-vector suffix."""
    kind = VECTOR_KIND[suffix]
    return (kind, *VECTOR_FIELDS[kind])


class DatasetError(ValueError):
    """Data that cannot be used as given; the message names file or id and the fix."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are absent; the message says where they were looked for and how to get them."""


class Dataset(RecBoleDataset):
    """Checks every atomic file it reads; attaches profile vectors when the config asks for them."""

    @property
    def profile_suffixes(self):
        return [s for s in (self.config["additional_feat_suffix"] or []) if s in VECTOR_KIND]

    def _load_feat(self, filepath, source):
        source_name = source.value if isinstance(source, FeatureSource) else source
        if source_name in VECTOR_KIND:
            return self._load_profile_vectors(filepath, source_name)
        load_col, _ = self._get_load_and_unload_col(source)
        if load_col != set():
            unique_key = None
            if source_name == "inter" and not self.config["rm_dup_inter"]:
                unique_key = (self.uid_field, self.iid_field)
            validate_atomic_file(
                filepath,
                self.config["field_separator"],
                self.config["seq_separator"],
                self.config["encoding"],
                unique_key=unique_key,
                load_fields=load_col,
            )
        return super()._load_feat(filepath, source)

    def _load_profile_vectors(self, filepath, suffix):
        """RecBole's table of a vector file holds its id column only; the vectors (checked, cached, memory-mapped)
        wait beside it in file order, read only when a model asks (:meth:`profile_matrix`)."""
        kind, id_field, vector_field = _profile_file(suffix)
        ids, vectors = read_vector_file(
            filepath, id_field, vector_field, self.config["field_separator"], self.config["encoding"]
        )
        self.field2source[id_field] = suffix
        self.field2type[id_field] = FeatureType.TOKEN
        self.field2seqlen[id_field] = 1
        self._profile_rows = {**getattr(self, "_profile_rows", {}), kind: vectors}
        self._profile_file_rows = {**getattr(self, "_profile_file_rows", {}), kind: np.arange(len(ids))}
        return pd.DataFrame({id_field: ids})

    def _data_processing(self):
        self._check_known_ids()  # before RecBole's filter_inter_by_user_or_item silently drops such rows
        super()._data_processing()

    def _data_filtering(self):
        try:
            super()._data_filtering()
        except ValueError as err:  # RecBole: "Some feat is empty, please check the filtering settings."
            if "empty" not in str(err):
                raise
            self.inter_feat = self.inter_feat.iloc[0:0]
        if len(self.inter_feat) == 0:
            raise DatasetError(
                f"dataset '{self.dataset_name}' has no interactions left after filtering "
                f"(val_interval={self.config['val_interval']}, "
                f"user_inter_num_interval={self.config['user_inter_num_interval']}, "
                f"item_inter_num_interval={self.config['item_inter_num_interval']}); loosen these settings."
            )

    def _remap_ID_all(self):
        for suffix in self.profile_suffixes:
            self._drop_unknown_profile_rows(suffix)
        super()._remap_ID_all()

    def _known_ids(self, kind):
        field = self.uid_field if kind == "user" else self.iid_field
        side = self.user_feat if kind == "user" else self.item_feat
        known = set(self.inter_feat[field].values)
        if side is not None:
            known.update(side[field].values)
        return known

    def _check_known_ids(self):
        """Interactions must name users/items listed in .user/.item files when those files exist."""
        for kind, side in (("user", self.user_feat), ("item", self.item_feat)):
            if side is None or self.config["allow_unknown_ids"]:
                continue
            field = self.uid_field if kind == "user" else self.iid_field
            unknown = ~self.inter_feat[field].isin(set(side[field].values))
            if unknown.any():
                ids = self.inter_feat.loc[unknown, field].unique()
                raise DatasetError(
                    f"{self.dataset_name}.inter references {len(ids)} {kind} id(s) missing from "
                    f"{self.dataset_name}.{kind} (e.g. {', '.join(map(str, ids[:5]))}); add them to the .{kind} file "
                    "or set allow_unknown_ids: True."
                )

    def _drop_unknown_profile_rows(self, suffix):
        kind, id_field, _ = _profile_file(suffix)
        feat = getattr(self, f"{suffix}_feat")
        keep = feat[id_field].isin(self._known_ids(kind))
        if not keep.all():
            self._profile_file_rows[kind] = self._profile_file_rows[kind][keep.to_numpy()]
            dropped = feat.loc[~keep, id_field].values
            self.logger.warning(
                f"{self.dataset_name}.{suffix}: dropped {len(dropped)} vector(s) for {kind} ids absent from the "
                f"interactions (e.g. {', '.join(map(str, dropped[:5]))}); RecBole would have made them new {kind}s."
            )
            setattr(self, f"{suffix}_feat", feat[keep].reset_index(drop=True))

    def _preload_weight_matrix(self):
        """RecBole's preload matrices for other fields; for each profile-vector file the internal id of each of its
        rows (no copy of the vectors: :meth:`profile_matrix` reads them in the dtype a model asks for), and the
        check that every user or item has one."""
        settings = self.config["preload_weight"]
        profile_ids = {_profile_file(s)[1] for s in self.profile_suffixes}
        others = {k: v for k, v in (settings or {}).items() if k not in profile_ids}
        self.config["preload_weight"] = others or None
        try:
            super()._preload_weight_matrix()
        finally:
            self.config["preload_weight"] = settings
        for suffix in self.profile_suffixes:
            kind, id_field, _ = _profile_file(suffix)
            positions = getattr(self, f"{suffix}_feat")[id_field].to_numpy()
            self._profile_positions = {**getattr(self, "_profile_positions", {}), kind: positions}
            covered = np.zeros(self.num(id_field), dtype=bool)
            covered[positions] = True
            covered[0] = True  # [PAD]
            missing = np.flatnonzero(~covered)
            if len(missing) == 0:
                continue
            tokens = self.id2token(id_field, missing[:5])
            message = (
                f"{len(missing)} {kind}(s) of '{self.dataset_name}' have no vector in "
                f"{os.path.join(self.dataset_path, self.dataset_name + '.' + suffix)} "
                f"(e.g. {', '.join(map(str, tokens))})"
            )
            if not self.config["profile_allow_missing"]:
                raise DatasetError(
                    message + "; add their profiles and re-encode, or set profile_allow_missing: True "
                    "to give them zero vectors."
                )
            self.logger.warning(message + "; they get zero vectors (profile_allow_missing: True).")

    def profile_matrix(self, kind, dtype=torch.float32):
        """Tensor [n_users or n_items, d] of profile vectors, row = RecBole internal id, with the configured
        corruption applied (:mod:`recbole_darec.data.corruption`; none by default)."""
        suffix = next((s for s in self.profile_suffixes if VECTOR_KIND[s] == kind), None)
        if suffix is None:
            raise DatasetError(f"no {kind} profile vectors are configured: add '{kind}emb' to additional_feat_suffix.")
        rows, file_rows, positions = (
            self._profile_rows[kind],
            self._profile_file_rows[kind],
            self._profile_positions[kind],
        )
        clean = torch.zeros(self.user_num if kind == "user" else self.item_num, rows.shape[1], dtype=dtype)
        cache = getattr(rows, "filename", None)
        for start in range(0, len(positions), PROFILE_CHUNK):
            chunk = slice(start, start + PROFILE_CHUNK)
            # a mapping of the cache for each chunk, released after it: the pages read do not stay in this process
            source = rows if cache is None else np.load(cache, mmap_mode="r")
            clean[positions[chunk]] = torch.as_tensor(np.asarray(source[file_rows[chunk]]), dtype=dtype)
            del source
        corrupted = corrupt_profiles(clean, kind, corruption_settings(self.config))
        if corrupted is not clean:
            changed = int((corrupted != clean).any(dim=1).sum())
            self.logger.info(
                f"{kind} profile vectors corrupted in memory ({corruption_tag(self.config)}): {changed} of "
                f"{int((clean.abs().sum(dim=1) > 0).sum())} {kind}s with a vector changed"
            )
        return corrupted


__all__ = ["Dataset", "DatasetError", "DatasetNotFoundError", "AtomicFileError"]
