"""reidlab.book: claims raise when strict, warn elsewhere, and are glued (never raised) in a build;
seeds shift with REIDLAB_SEED_OFFSET; every claim and glued value can be logged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from reidlab import book
from reidlab.book import ClaimError, ClaimWarning, claim, describe, seeds

MODES = ("REIDLAB_STRICT_CLAIMS", "CI", "REIDLAB_BOOK_BUILD", "REIDLAB_CLAIMS_LOG", "REIDLAB_SEED_OFFSET")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in MODES:
        monkeypatch.delenv(name, raising=False)


def test_a_claim_that_holds_is_silent(
    monkeypatch: pytest.MonkeyPatch, recwarn: pytest.WarningsRecorder
) -> None:
    monkeypatch.setenv("REIDLAB_STRICT_CLAIMS", "1")
    claim("ok", True, "nothing", values={"x": 1})
    claim("ok-tensor", torch.tensor(2.0) > 1, "a one-element tensor", values={"x": torch.tensor(2.0)})
    assert not recwarn.list


def test_a_broken_claim_fails_a_strict_run_and_names_itself_with_its_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REIDLAB_STRICT_CLAIMS", "1")
    with pytest.raises(
        ClaimError, match=r"claim 'l1-beats-l2' does not hold: L1 above L2\. This run: L1 = 29; L2 = 30"
    ):
        claim("l1-beats-l2", 29.0 > 30.0, "L1 above L2", values={"L1": 29.0, "L2": 30.0})


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_ci_is_strict_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(ClaimError):
        claim("x", False, "something", values={"x": 0})
    monkeypatch.setenv("REIDLAB_STRICT_CLAIMS", "0")
    with pytest.warns(ClaimWarning):
        claim("x", False, "something", values={"x": 0})


@pytest.mark.parametrize("ci", ["", "0", "false"])
def test_ci_unset_or_false_is_not_strict(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    assert not book.strict()


def test_outside_a_strict_run_a_broken_claim_only_warns() -> None:
    with pytest.warns(
        ClaimWarning, match="'x' does not hold: something. This run: per seed = \\[0.5, 0.25\\]"
    ):
        claim("x", False, "something", values={"per seed": torch.tensor([0.5, 0.25])})


def test_in_a_build_a_broken_claim_is_glued_for_the_page_even_when_strict(
    monkeypatch: pytest.MonkeyPatch, recwarn: pytest.WarningsRecorder
) -> None:
    glued = {}
    monkeypatch.setattr(book, "_myst_glue", lambda name, value: glued.setdefault(name, value))
    monkeypatch.setenv("REIDLAB_BOOK_BUILD", "1")
    monkeypatch.setenv("REIDLAB_STRICT_CLAIMS", "1")  # the build's extension fails it, not the kernel
    claim("held", True, "fine", values={"a": 1})
    claim("moved", False, "A above B", values={"A": 0.5, "B": np.float32(0.75)})
    assert list(glued) == ["claim-not-held:moved"]
    assert json.loads(glued["claim-not-held:moved"]) == {"what": "A above B", "values": "A = 0.5; B = 0.75"}
    assert not recwarn.list


def test_values_are_required_and_described_briefly() -> None:
    with pytest.raises(TypeError, match="values must be a non-empty mapping"):
        claim("x", True, "something", values={})
    text = describe({"n": 3, "ok": True, "r": 0.123456, "grid": np.array([[1.0, 2.0]]), "s": "a"})
    assert text == "n = 3; ok = True; r = 0.123; grid = [[1, 2]]; s = a"
    assert describe({"inf": float("inf")}) == "inf = inf"


def test_seeds_shift_with_the_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    assert seeds(3) == range(3)
    monkeypatch.setenv("REIDLAB_SEED_OFFSET", "100")
    assert list(seeds(2)) == [100, 101]
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="n must be a positive int"):
            seeds(bad)


def test_the_log_holds_every_claim_and_glued_value(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("REIDLAB_CLAIMS_LOG", str(log))
    monkeypatch.setenv("REIDLAB_BOOK_BUILD", "1")
    monkeypatch.setattr(book, "_myst_glue", lambda name, value: None)
    book.glue("acc", torch.tensor(0.5))
    claim("a", True, "fine", values={"acc": 0.5})
    claim("b", False, "not fine", values={"acc": [0.5, 0.25]})
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records == [
        {"kind": "glue", "name": "acc", "value": 0.5},
        {"kind": "claim", "name": "a", "holds": True, "what": "fine", "values": {"acc": 0.5}},
        {"kind": "claim", "name": "b", "holds": False, "what": "not fine", "values": {"acc": [0.5, 0.25]}},
    ]


@pytest.mark.parametrize("value", [np.float64(0.25), np.int64(3), torch.tensor(0.25), np.array(0.25)])
def test_glue_hands_myst_nb_plain_numbers(monkeypatch: pytest.MonkeyPatch, value: object) -> None:
    """myst-nb formats a glued value from its repr: ``np.float64(0.25)`` breaks ``:.2f``."""
    seen: list[object] = []
    monkeypatch.setattr(book, "_myst_glue", lambda name, v: seen.append(v))
    book.glue("x", value)
    assert type(seen[0]) in (float, int) and seen[0] == value.item()
    assert repr(seen[0]) in ("0.25", "3")
