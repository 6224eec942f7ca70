"""Input checks of recbole_darec.data: every bad atomic file is a clear error naming file and line."""

import pytest

from recbole_darec.data import AtomicFileError, DatasetError, create_dataset


def toy_inter(rows):
    return "user_id:token\titem_id:token\trating:float\n" + "".join(f"{u}\t{i}\t{r}\n" for u, i, r in rows)


GOOD = [(u, i, 4) for u in range(1, 6) for i in range(1, 8)]


LOAD = {"load_col": {"inter": ["user_id", "item_id", "rating"]}}


def test_wrong_column_count_names_file_and_line(tmp_path, synthetic):
    config = synthetic(tmp_path, toy_inter(GOOD[:3]) + "9\t9\n", **LOAD)
    with pytest.raises(AtomicFileError, match=r"toy.inter, line 5: 2 columns, but the header declares 3"):
        create_dataset(config)


def test_non_numeric_float_field_names_file_and_line(tmp_path, synthetic):
    config = synthetic(tmp_path, toy_inter(GOOD[:2] + [(3, 3, "four")]), **LOAD)
    with pytest.raises(AtomicFileError, match=r"toy.inter, line 4: field 'rating' holds 'four', not a number"):
        create_dataset(config)


def test_duplicate_interactions_are_refused_unless_asked_to_drop(tmp_path, synthetic):
    config = synthetic(tmp_path, toy_inter(GOOD + [GOOD[0]]), **LOAD)
    with pytest.raises(AtomicFileError, match=r"line 37: duplicate user_id/item_id \('1', '1'\).*rm_dup_inter"):
        create_dataset(config)
    dataset = create_dataset(synthetic(tmp_path, toy_inter(GOOD + [GOOD[0]]), rm_dup_inter="first", **LOAD))
    assert dataset.inter_num == len(GOOD)


def test_interactions_with_unknown_item_ids_are_refused(tmp_path, synthetic):
    item = "item_id:token\tname:token_seq\n" + "".join(f"{i}\tthing {i}\n" for i in range(1, 7))
    config = synthetic(
        tmp_path, toy_inter(GOOD), item=item, load_col={"inter": ["user_id", "item_id"], "item": ["item_id", "name"]}
    )
    with pytest.raises(DatasetError, match=r"references 1 item id\(s\) missing from toy.item \(e.g. 7\)"):
        create_dataset(config)


def test_empty_dataset_after_filtering_is_a_clear_error(tmp_path, synthetic):
    config = synthetic(tmp_path, toy_inter(GOOD), val_interval={"rating": "[5,inf)"}, **LOAD)
    with pytest.raises(DatasetError, match="no interactions left after filtering"):
        create_dataset(config)
