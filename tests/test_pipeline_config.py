"""Pipeline files: the default one is valid, mistakes are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from govtext.errors import ConfigError
from govtext.pipeline import PipelineConfig, load_pipeline

ROOT = Path(__file__).resolve().parents[1]


def test_pipeline_default_file_matches_builtin_defaults() -> None:
    cfg = load_pipeline(ROOT / "pipelines" / "default.toml")
    builtin = PipelineConfig()
    assert cfg.name == "default"
    # the file states the defaults explicitly; the two must not drift apart
    assert {k: v for k, v in cfg.to_dict().items() if k != "source"} == {
        k: v for k, v in builtin.to_dict().items() if k != "source"
    }


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[pipline]\nname='x'\n", "pipline"),
        ("[segment]\nhmmm = true\n", "hmmm"),
        ("[topics]\nmethod = 'plsa'\n", "plsa"),
        ("[topics]\nk = 1\n", "'k'"),
        ("[topics]\nunit = 'sentence'\n", "sentence"),
        ("[pipeline\n", "not valid TOML"),
    ],
)
def test_pipeline_errors_name_the_mistake(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        load_pipeline(path)


def test_pipeline_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_pipeline(tmp_path / "nope.toml")


def test_pipeline_name_from_table_overrides_stem(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        "[pipeline]\nname = 'provinces'\nby = 'province'\n[topics]\nk = 'auto'\n", encoding="utf-8"
    )
    cfg = load_pipeline(path)
    assert (cfg.name, cfg.by, cfg.topics.k) == ("provinces", "province", "auto")


def test_pipeline_engine_table_is_the_engine_config(tmp_path: Path) -> None:
    # one type: the [engine] table reads into EngineConfig (0 workers: every core, "" no
    # scheduler) and is written back, to run.json, in the table's own form
    from govtext.engine import EngineConfig

    path = tmp_path / "p.toml"
    path.write_text("[engine]\nworkers = 2\nscheduler = ''\nbatch_chars = 5000\n", encoding="utf-8")
    cfg = load_pipeline(path)
    assert cfg.engine == EngineConfig(workers=2, batch_chars=5000)
    assert cfg.to_dict()["engine"] == {"engine": "local", "workers": 2, "scheduler": "", "batch_chars": 5000}
    assert PipelineConfig().to_dict()["engine"] == {
        "engine": "local",
        "workers": 0,
        "scheduler": "",
        "batch_chars": 300_000,
    }
    for bad, needle in [
        ("batch_size = 10", "batch_size"),
        ("workers = -1", "workers"),
        ("engine = 'spark'", "spark"),
    ]:
        path.write_text(f"[engine]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=needle):
            load_pipeline(path)
