"""reidlab.book.claim: strict in the book build, a warning elsewhere."""

from __future__ import annotations

import pytest
import torch

from reidlab.book import ClaimError, ClaimWarning, claim


def test_a_claim_that_holds_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REIDLAB_STRICT_CLAIMS", "1")
    claim("ok", True, "nothing")
    claim("ok-tensor", torch.tensor(2.0) > 1, "a one-element tensor")


def test_a_broken_claim_fails_the_build_and_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REIDLAB_STRICT_CLAIMS", "1")
    with pytest.raises(ClaimError, match="claim 'l1-beats-l2' no longer holds: L1 above L2"):
        claim("l1-beats-l2", 29.0 > 30.0, "L1 above L2")


def test_outside_the_build_a_broken_claim_only_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REIDLAB_STRICT_CLAIMS", raising=False)
    with pytest.warns(ClaimWarning, match="'x' no longer holds"):
        claim("x", False, "something")
