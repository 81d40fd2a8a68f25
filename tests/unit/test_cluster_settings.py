"""Each replica's TensorFlow gets its share of the cores, unless the operator set it."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.cluster import Cluster, ClusterSettings, tensorflow_threads


@pytest.fixture(autouse=True)
def no_operator_setting(monkeypatch):
    monkeypatch.delenv("TF_INTRA_OP_PARALLELISM_THREADS", raising=False)
    monkeypatch.delenv("TF_INTER_OP_PARALLELISM_THREADS", raising=False)


def test_replicas_share_the_cores():
    assert tensorflow_threads(2, cores=2) == {"TF_INTRA_OP_PARALLELISM_THREADS": "1",
                                             "TF_INTER_OP_PARALLELISM_THREADS": "1"}
    assert tensorflow_threads(2, cores=8)["TF_INTRA_OP_PARALLELISM_THREADS"] == "4"
    assert tensorflow_threads(4, cores=2)["TF_INTRA_OP_PARALLELISM_THREADS"] == "1"


def test_the_operators_setting_wins(monkeypatch):
    monkeypatch.setenv("TF_INTRA_OP_PARALLELISM_THREADS", "3")
    assert tensorflow_threads(2, cores=2) == {"TF_INTER_OP_PARALLELISM_THREADS": "1"}


def test_every_replica_gets_the_setting(tmp_path: Path):
    cluster = Cluster(ClusterSettings(replicas=2, port=16990, workers=1, work_dir=tmp_path, database_url=None,
                                      redis_url=None))
    env = cluster.replica_config(1).extra_env
    assert env["TF_INTER_OP_PARALLELISM_THREADS"] == "1" and int(env["TF_INTRA_OP_PARALLELISM_THREADS"]) >= 1
