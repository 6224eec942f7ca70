"""Process-wide settings: reusing freed memory changes how fast a step runs, never what it computes."""

import json
import platform
import subprocess
import sys

import pytest

# three SGL training steps on ml-100k (a batch against every user and item: the allocations the setting is for)
STEPS = """
import json, sys, torch
from recbole_darec.config import Config
from recbole_darec.prepare import prepare_dataset_files
from recbole_darec.quick_start import _build
from recbole_darec.runtime import configure_runtime
config = Config(model="SGL", dataset="ml-100k", config_dict=json.loads(sys.argv[1]))
prepare_dataset_files(config)
threads, reused = configure_runtime(config)
_, model, train, _, _ = _build(config)
model.train()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
losses = []
for _, batch in zip(range(3), train):
    loss = sum(model.calculate_loss(batch))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(json.dumps({"reused": reused, "losses": losses, "weights": model.user_embedding.weight.sum().item()}))
"""


@pytest.mark.slow
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting applies to glibc only")
def test_reusing_freed_memory_leaves_training_bit_identical(tmp_path, base_config):
    def steps(reuse):
        config = base_config(tmp_path, reuse_freed_memory=reuse, train_batch_size=512)
        out = subprocess.run(
            [sys.executable, "-c", STEPS, json.dumps(config)], capture_output=True, text=True, timeout=300
        )
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    reused, fresh = steps(True), steps(False)
    assert reused["reused"] is True and fresh["reused"] is False
    assert reused["losses"] == fresh["losses"] and reused["weights"] == fresh["weights"]
    assert len(set(reused["losses"])) == 3  # three real steps, not one loss repeated


def test_reuse_freed_memory_must_be_a_boolean(tmp_path, base_config):
    from recbole_darec.checks import ConfigError
    from recbole_darec.config import Config
    from recbole_darec.runtime import configure_runtime

    config = Config(model="LightGCN", dataset="ml-100k", config_dict=base_config(tmp_path, reuse_freed_memory="yes"))
    with pytest.raises(ConfigError, match="reuse_freed_memory"):
        configure_runtime(config)
