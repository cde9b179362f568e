"""The pipeline's configuration: a pipeline TOML file read into a ``PipelineConfig``.

One dataclass per table ([pipeline] plus one per stage); ``load_pipeline`` reads and
checks a file (unknown tables or keys are errors that name them), ``default_pipeline``
gives ``pipelines/default.toml`` or the built-in defaults. Both the pipeline and the
stage adapters read it, so it sits below them both.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from govtext.engine import TABLE_KEYS, EngineConfig
from govtext.errors import ConfigError

DEFAULT_PIPELINE = Path("pipelines") / "default.toml"


@dataclass
class IngestConfig:
    text_column: str = ""
    path_pattern: str = ""
    max_file_size_mb: float = 200.0
    part_size_mb: float = 16.0
    max_doc_chars: int = 2_000_000
    extract_timeout: float = 120.0
    max_depth: int = 64


@dataclass
class SegmentConfig:
    hmm: bool = False
    user_dicts: list[str] = field(default_factory=list)


@dataclass
class ThemesConfig:
    dictionary: str = ""
    extra: list[str] = field(default_factory=list)


@dataclass
class TopicsConfig:
    enabled: bool = True
    method: str = "seeded"
    k: int | str = "auto"
    k_range: list[int] = field(default_factory=lambda: [2, 8, 2])
    n_free: int | None = None
    unit: str = "paragraph"
    min_df: float = 2
    max_df: float = 0.5
    random_state: int = 0
    # a topic keeps a theme's name only if its unit shares agree with the rule hits this well
    name_min_auc: float = 0.85
    # fit afresh even when the store holds a model fitted from the same inputs
    refit: bool = False


@dataclass
class CompareConfig:
    """How groups are compared.

    ``min_group_chars``/``min_group_docs``: a group smaller than either is flagged
    (``small_group``) in every table and left out of trends (2020 of the national reports
    is one 500-character NPC resolution: no trend should drop to zero there).
    ``where``: ``field=value`` conditions a document must meet to be compared (e.g.
    ``genre=report`` keeps the national reports apart from their resolutions); the
    documents left out are counted in the run's notes.
    """

    min_group_chars: int = 1000
    min_group_docs: int = 1
    where: list[str] = field(default_factory=list)


@dataclass
class ReportConfig:
    # every format, for `run` as for `report` (govtext.report.FORMATS)
    formats: list[str] = field(default_factory=lambda: ["html", "md", "csv", "json", "xlsx", "figures"])


@dataclass
class PipelineConfig:
    """A resolved pipeline: the [pipeline] table plus one table per stage."""

    name: str = "default"
    paths: list[str] = field(default_factory=lambda: ["corpus"])
    by: str = "source"
    time: str = "year"
    ingest: IngestConfig = field(default_factory=IngestConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    themes: ThemesConfig = field(default_factory=ThemesConfig)
    topics: TopicsConfig = field(default_factory=TopicsConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)  # the [engine] table
    source: str = ""  # the file it came from, for messages and run.json

    def to_dict(self) -> dict[str, Any]:
        """Every table as the pipeline file writes it (run.json records this)."""
        out = asdict(self)
        out["engine"] = self.engine.to_table()
        return out


_SECTIONS: dict[str, type] = {
    "ingest": IngestConfig,
    "segment": SegmentConfig,
    "themes": ThemesConfig,
    "topics": TopicsConfig,
    "report": ReportConfig,
    "compare": CompareConfig,
}
_TOP_KEYS = {"name", "paths", "by", "time"}


def _check_keys(table: dict[str, Any], allowed: set[str], where: str, path: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"{path}: unknown key {key!r} in [{where}]; allowed keys are {', '.join(sorted(allowed))}."
            )


def load_pipeline(path: str | Path) -> PipelineConfig:
    """Read a pipeline TOML file; unknown tables or keys are errors that name them."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"pipeline file {p} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc}).") from None
    allowed_tables = {"pipeline", "engine", *_SECTIONS}
    _check_keys(data, allowed_tables, "top level", str(p))
    top = data.get("pipeline", {})
    _check_keys(top, _TOP_KEYS, "pipeline", str(p))
    cfg = PipelineConfig(name=p.stem, source=str(p))
    for key in _TOP_KEYS:
        if key in top:
            setattr(cfg, key, top[key])
    for section, cls in _SECTIONS.items():
        table = data.get(section, {})
        _check_keys(table, {f.name for f in fields(cls)}, section, str(p))
        setattr(cfg, section, cls(**{**asdict(cls()), **table}))
    engine = data.get("engine", {})
    _check_keys(engine, set(TABLE_KEYS), "engine", str(p))
    cfg.engine = EngineConfig.from_table(engine)  # names a bad engine, worker count or batch size
    _validate(cfg)
    return cfg


def default_pipeline() -> PipelineConfig:
    """``pipelines/default.toml`` from the working folder if there, else built-in defaults."""
    if DEFAULT_PIPELINE.is_file():
        return load_pipeline(DEFAULT_PIPELINE)
    return PipelineConfig()


def _validate(cfg: PipelineConfig) -> None:
    methods = {"nmf", "lda", "seeded"}
    if cfg.topics.method not in methods:
        raise ConfigError(
            f"The 'method' parameter of [topics] must be one of {sorted(methods)}. Got {cfg.topics.method!r} instead."
        )
    if cfg.topics.unit not in {"paragraph", "document"}:
        raise ConfigError(
            f"The 'unit' parameter of [topics] must be 'paragraph' or 'document'. Got {cfg.topics.unit!r} instead."
        )
    parse_where(cfg.compare.where)
    for key in ("min_group_chars", "min_group_docs"):
        value = getattr(cfg.compare, key)
        if not isinstance(value, int) or value < 0:
            raise ConfigError(
                f"The '{key}' parameter of [compare] must be an integer ≥ 0. Got {value!r} instead."
            )
    if not (cfg.topics.k == "auto" or (isinstance(cfg.topics.k, int) and cfg.topics.k >= 2)):
        raise ConfigError(
            f"The 'k' parameter of [topics] must be an integer ≥ 2 or 'auto'. Got {cfg.topics.k!r} instead."
        )


def parse_where(conditions: Sequence[str]) -> list[tuple[str, str]]:
    """``["genre=report"]`` → ``[("genre", "report")]``; anything else is a ConfigError."""
    out = []
    for cond in conditions:
        name, eq, value = str(cond).partition("=")
        if not eq or not name.strip():
            raise ConfigError(
                f"a where condition must read field=value (e.g. genre=report). Got {cond!r} instead."
            )
        out.append((name.strip(), value.strip()))
    return out
