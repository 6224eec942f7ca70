"""The guide documents every key this package defines, and no key that does not exist."""

import glob
import os
import re

import pytest
import recbole
import yaml


def own_keys(repo_root):
    recbole_keys = set()
    for path in glob.glob(
        os.path.join(os.path.dirname(recbole.__file__), "properties", "**", "*.yaml"), recursive=True
    ):
        if os.path.basename(path) not in ("url.yaml", "kg_url.yaml"):
            recbole_keys |= set(yaml.safe_load(open(path)) or {})
    files = [os.path.join(repo_root, "properties", "overall.yaml")]
    files += glob.glob(os.path.join(repo_root, "properties", "model", "*.yaml"))
    return {key for path in files for key in (yaml.safe_load(open(path)) or {})} - recbole_keys


def documented_keys(repo_root):
    text = open(os.path.join(repo_root, "docs", "guide.md"), encoding="utf-8").read()
    section = text.split("### Every key of this package", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.M))


def test_every_key_is_documented_and_every_documented_key_exists(repo_root):
    own, documented = own_keys(repo_root), documented_keys(repo_root)
    assert len(own) > 50
    assert sorted(own - documented) == [], "keys without a row in docs/guide.md's key table"
    assert sorted(documented - own) == [], "rows of docs/guide.md's key table that no YAML defines"


def test_the_readme_is_a_front_page(repo_root):
    readme = open(os.path.join(repo_root, "README.md"), encoding="utf-8").read()
    assert len(readme.splitlines()) < 200
    for part in ("## Set-up", "## Your own data", "## Usage", "## Results"):
        assert part in readme
    for file in ("LICENSE", "CITATION.cff"):
        assert os.path.isfile(os.path.join(repo_root, file))


@pytest.mark.slow
def test_the_guides_add_a_model_example_trains(
    repo_root, tmp_path, ml100k_profiles, copy_dataset, base_config, monkeypatch
):
    text = open(os.path.join(repo_root, "docs", "guide.md"), encoding="utf-8").read()
    code = re.search(r"### Add a model: a worked example.*?```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) <= 30
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    import recbole_darec.quick_start as quick_start

    run = quick_start.run_recbole_darec
    results = []

    def quick(model, dataset, config_dict):  # the example's own settings, written under tmp_path, one epoch
        results.append(run(model, dataset, config_dict={**base_config(tmp_path), **config_dict, "epochs": 1}))
        return results[-1]

    monkeypatch.setattr(quick_start, "run_recbole_darec", quick)
    exec(compile(code, "guide.md", "exec"), {"__name__": "guide_example"})
    assert results and results[0]["test_result"]["recall@20"] > 0
    assert len(results[0]["train_loss"]) == 1
