"""Hostile dictionaries, options and output paths: each case runs the real command in a
subprocess under a time and a memory limit, and must end with no traceback, a
non-zero exit only with one error line, and the good document's hits kept."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

MEMORY = 1 << 30  # 1 GB of address space, as the issue asks
# run and report import pandas, DuckDB and Dask, whose mapped libraries, thread stacks and
# arenas count in the address space though little of it is ever used: 1 GB of
# address space is far less than 1 GB of memory there, so they get 4
BIG_MEMORY = 4 << 30
GOOD = "推进居民自治，共建共治共享。"
FRAME = 'version = 1\n[[framework]]\nid = "f"\nname = "框架"\n'


def _theme(regex: str, tid: str = "a") -> str:
    return f'[[theme]]\nid = "{tid}"\nname = "甲"\nframework = "f"\nterms = ["居民自治"]\nregex = [{json.dumps(regex)}]\n'


def _limiter(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


@dataclass(frozen=True)
class Case:
    kind: str
    args: Callable[[Path], list[str]]
    expect: str  # "ok", "fail" or "either"
    seconds: float = 30.0
    env: tuple[tuple[str, str], ...] = ()
    good: str = ""  # a theme the good document must show in the output when it succeeds


def _dict(body: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "d.toml"
        path.write_text(body, encoding="utf-8")
        return path

    return make


def _validate(body: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["dict", "validate", str(_dict(body)(tmp)), "--no-tokens"]


def _tag(body: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["tag", str(tmp / "in"), "-d", str(_dict(body)(tmp)), "-f", "jsonl"]


CATASTROPHIC = [
    "(a+)+$",
    "(a|aa)+$",
    "(a|a)*$",
    "(.*a){20}$",
    "([a-z]+)*$",
    "(a*)*b",
    "(\\w+\\s?)+$",
    "(x+x+)+y",
]
LOOKAROUND = ["(?<=x)(?:a|aa)+c", "(?<!y)(?:a|ab)+(?=c)"]
REPEATS = ["a{4294967296}", "a{1001}", "(?:a{1000}){1000}", "x{99999999999999999999}", "a{2,4294967295}"]
BACKREF = ["(a)\\1", "(?P<x>a)(?P=x)"]


def _cases() -> list[Case]:
    cases: list[Case] = []
    for rx in CATASTROPHIC + LOOKAROUND:
        body = FRAME + _theme(rx)
        cases.append(Case("catastrophic regex: validate", _validate(body), "either"))
        cases.append(Case("catastrophic regex: tag", _tag(body), "either", good="a"))
    for rx in REPEATS:
        cases.append(Case("huge repeat count", _validate(FRAME + _theme(rx)), "fail"))
        cases.append(Case("huge repeat count: tag", _tag(FRAME + _theme(rx)), "fail"))
    for rx in BACKREF:
        cases.append(Case("back-reference", _validate(FRAME + _theme(rx)), "fail"))
    nested = {
        "arrays": "x = " + "[" * 5000 + "]" * 5000 + "\n",
        "inline tables": "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n",
        "unclosed": "x = " + "[" * 5000 + "\n",
    }
    for name, text in nested.items():
        cases.append(Case(f"nested TOML ({name})", _validate("version = 1\n" + text), "fail"))
        cases.append(Case(f"nested TOML ({name}): tag", _tag("version = 1\n" + text), "fail"))
    huge = FRAME + '[[theme]]\nid = "a"\nname = "甲"\nterms = [' + ", ".join(['"词"'] * 1_600_000) + "]\n"
    cases.append(Case("huge TOML (over the size limit)", _validate(huge), "fail"))
    cases.append(
        Case(
            "huge TOML (limit raised by the setting)",
            _validate(FRAME + '[[theme]]\nid = "a"\nname = "甲"\nterms = ["居民自治"]\n' + "# x\n" * 200_000),
            "ok",
            env=(("GOVTEXT_MAX_DICTIONARY_BYTES", "2000000"),),
        )
    )
    for name, body in {
        "no bytes": "",
        "version only": "version = 1\n",
        "comments only": "# nothing\n# here\n",
        "every theme disabled": FRAME + '[[theme]]\nid = "a"\nname = "甲"\nterms = ["x"]\ndisabled = true\n',
    }.items():
        cases.append(Case(f"empty dictionary ({name})", _validate(body), "fail"))
        cases.append(Case(f"empty dictionary ({name}): tag", _tag(body), "fail"))
    cases.append(Case("dictionary is a folder", lambda t: ["dict", "validate", str(t / "in")], "fail"))
    cases.append(
        Case("dictionary missing", lambda t: ["tag", str(t / "in"), "-d", str(t / "nope.toml")], "fail")
    )
    for bad in ["0", "-1", "abc"]:
        # 0 means every core, in a pipeline file (docs/scale.md) and for run and segment alike
        expect = "ok" if bad == "0" else "fail"
        cases.append(
            Case(
                f"--workers {bad} (segment)",
                lambda t, b=bad: ["segment", str(t / "in"), "--workers", b],
                expect,
            )
        )
        cases.append(Case(f"--workers {bad} (run)", lambda t, b=bad: _run(t, "--workers", b), expect, 90))
    cases.append(
        Case(
            "--workers 10000 (segment)", lambda t: ["segment", str(t / "in"), "--workers", "10000"], "ok", 30
        )
    )
    cases.append(Case("--workers 10000 (run)", lambda t: _run(t, "--workers", "10000"), "ok", 90))
    for bad in ["0", "-5"]:
        cases.append(
            Case(f"--evidence {bad}", lambda t, b=bad: ["tag", str(t / "in"), "--evidence", b], "fail")
        )
    for value in ["-1", "abc", "0"]:
        cases.append(
            Case(
                f"GOVTEXT_REGEX_TIME_LIMIT={value}",
                lambda t: ["tag", str(t / "in")],
                "fail",
                env=(("GOVTEXT_REGEX_TIME_LIMIT", value),),
            )
        )
    cases.append(
        Case(
            "GOVTEXT_MAX_DICTIONARY_BYTES=abc",
            lambda t: ["tag", str(t / "in")],
            "fail",
            env=(("GOVTEXT_MAX_DICTIONARY_BYTES", "abc"),),
        )
    )
    cases.append(
        Case(
            "report --out afile/sub",
            lambda t: ["report", str(t / "in"), "--by", "source", "--out", str(t / "afile" / "sub")],
            "fail",
        )
    )
    cases.append(Case("run --out afile", lambda t: _run(t, out=t / "afile"), "fail"))
    cases.append(
        Case("segment -o existing folder", lambda t: ["segment", str(t / "in"), "-o", str(t / "in")], "fail")
    )
    cases.append(
        Case(
            "segment -o afile/x.txt",
            lambda t: ["segment", str(t / "in"), "-o", str(t / "afile" / "x.txt")],
            "fail",
        )
    )
    cases.append(
        Case(
            "segment -o missing/x.txt",
            lambda t: ["segment", str(t / "in"), "-o", str(t / "no" / "x.txt")],
            "fail",
        )
    )
    cases.append(
        Case(
            "segment -o read-only folder",
            lambda t: ["segment", str(t / "in"), "-o", str(t / "ro" / "x.txt")],
            "either",
        )
    )
    cases.append(
        Case(
            "report --out read-only folder",
            lambda t: [
                "report",
                str(t / "in"),
                "--by",
                "source",
                "--out",
                str(t / "ro" / "r"),
                "--format",
                "csv",
            ],
            "either",
            90,
        )
    )
    cases.append(
        Case(
            "long unpunctuated sentence",
            lambda t: ["tag", str(t / "in"), str(t / "long.txt"), "-f", "jsonl"],
            "ok",
            30,
            good="self_governance",
        )
    )
    return cases


def _run(tmp: Path, *extra: str, out: Path | None = None) -> list[str]:
    pipeline = tmp / "p.toml"
    pipeline.write_text("[topics]\nenabled = false\n[report]\nformats = ['csv']\n", encoding="utf-8")
    return ["run", str(pipeline), str(tmp / "in"), "--out", str(out or tmp / "out"), "-q", *extra]


CASES = _cases()


def test_reliability_hostile_rules_cover_enough_inputs_and_kinds() -> None:
    assert len(CASES) >= 40
    assert len({c.kind.split(":")[0].split(" (")[0] for c in CASES}) >= 12


@pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}-{c.kind}" for i, c in enumerate(CASES)])
def test_reliability_hostile_rules(case: Case, tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "good.txt").write_text(GOOD, encoding="utf-8")
    (inp / "bad.txt").write_text("x" + "a" * 5000 + "b\n" + "a" * 3000, encoding="utf-8")
    (tmp_path / "afile").write_text("a file, not a folder", encoding="utf-8")
    (tmp_path / "long.txt").write_text("基层治理居民自治" * 5000, encoding="utf-8")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    env = {**os.environ, **dict(case.env)}
    args = case.args(tmp_path)
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "govtext", *args],
            capture_output=True,
            text=True,
            timeout=case.seconds,
            preexec_fn=_limiter(BIG_MEMORY if args[0] in ("run", "report") else MEMORY),
            env=env,
            stdin=subprocess.DEVNULL,
        )
    finally:
        ro.chmod(0o755)
    elapsed = time.monotonic() - started
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, both[-3000:]
    # what is left of stderr once the validate summary, notes, warnings and click's
    # usage lines are set aside must be the one error line
    errors = [
        line
        for line in proc.stderr.splitlines()
        if line.strip()
        and not re.search(r": \d+ error\(s\), \d+ warning\(s\)$", line)
        and not re.search(r"(note|warning): ", line)
        and not line.startswith(("Usage: ", "Try '"))
    ]
    if proc.returncode != 0:
        assert case.expect in ("fail", "either"), (proc.returncode, proc.stderr[-2000:])
        assert len(errors) == 1, proc.stderr[-2000:]
        assert len(errors[0]) < 400, errors[0]
    else:
        assert case.expect in ("ok", "either"), (case.kind, proc.stdout[-500:], proc.stderr[-500:])
        if case.good:
            records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
            good = next(r for r in records if r["doc_id"] == "good")
            assert case.good in {t["theme"] for t in good["themes"]}, good
    assert elapsed < case.seconds
