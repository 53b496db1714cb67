"""A zone's time in force is written as one span, the date once when both ends fall on one
day ("Sun 13 Dec 2026, 09:00 to 11:00 EST"), on the server (``{% moment_span %}``,
``format_span``) and in the page scripts (``formatSpan`` of static/js/time.js)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
SCRIPTS = ["zones/zones.js", "zones/city_map.js"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_zones_time_in_force_is_one_span_in_the_page_scripts(script):
    source = (STATIC / script).read_text()
    # Each end formatted on its own repeats the date: "Sun 13 Dec …, 09:00 to Sun 13 Dec …".
    assert not re.search(r"formatTime\(\s*(p\.valid_from|from)\b", source), script
    assert "formatSpan(" in source, script
