"""Dataset creation and test-time masking (the files a run needs: :mod:`recbole_darec.prepare`)."""

import numpy as np
import torch
from recbole.data import create_dataset as recbole_create_dataset
from recbole.utils import ModelType

from recbole_darec.data.atomic import AtomicFileError
from recbole_darec.data.dataset import Dataset, DatasetError, DatasetNotFoundError


def create_dataset(config):
    """Our checked :class:`Dataset` for general recommenders (fitted ones included); RecBole's own classes
    otherwise."""
    if config["MODEL_TYPE"] in (ModelType.GENERAL, ModelType.TRADITIONAL):
        return Dataset(config)
    return recbole_create_dataset(config)


def mask_training_items_only(eval_data, train_dataset):
    """Make full-sort evaluation mask only training items (RLMRec's protocol).

    RecBole masks every item a user had in earlier phases: training and validation items
    when testing. With ``test_history: train`` validation items stay rankable at test time.
    """
    uid_field, iid_field = train_dataset.uid_field, train_dataset.iid_field
    users = train_dataset.inter_feat[uid_field].numpy()
    items = train_dataset.inter_feat[iid_field].numpy()
    order = np.argsort(users, kind="stable")
    users, items = users[order], items[order]
    bounds = np.searchsorted(users, np.arange(train_dataset.user_num + 1))
    for uid, history in enumerate(eval_data.uid2history_item):
        if history is not None:
            eval_data.uid2history_item[uid] = torch.as_tensor(items[bounds[uid] : bounds[uid + 1]], dtype=torch.int64)


__all__ = [
    "create_dataset",
    "mask_training_items_only",
    "Dataset",
    "DatasetError",
    "DatasetNotFoundError",
    "AtomicFileError",
]
