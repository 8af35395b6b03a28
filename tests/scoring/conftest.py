"""Fixtures of the scoring tests: every test here starts from the demo edition (see tests/conftest.py,
which copies it from a template loaded once per backend)."""

from __future__ import annotations

import pytest

from helpers import login
from judging.demo import DEMO_PASSWORDS
from scoring.sheets_helpers import open_items


@pytest.fixture(autouse=True)
def _demo_everywhere(demo):
    """Scoring is about judges at work: give every test here the demo edition."""


@pytest.fixture
def judge(client, demo, session_factory):
    """judge01 logged in (the demo has it accept the undertaking) and one of its open items."""
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    return open_items(session_factory, "judge01")[0]
