"""CI's dependency audit (scripts/audit_dependencies.py): a known vulnerability fails CI; an
unreachable vulnerability service is said loudly and does not, unless it is required."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from audit_dependencies import judge  # noqa: E402

CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []},
                          {"name": "redis", "version": "8.1.0", "vulns": []}], "fixes": []}
VULNERABLE = {"dependencies": [
    {"name": "django", "version": "5.2.1", "vulns": [{
        "id": "PYSEC-2025-1", "fix_versions": ["5.2.2"], "aliases": ["CVE-2025-0001"],
        "description": "..."}]},
    {"name": "redis", "version": "8.1.0", "vulns": []}], "fixes": []}
NOT_FOUND = {"dependencies": [
    {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited: "
                                      "django (5.2.19)"},
    {"name": "redis", "skip_reason": "Dependency not found on PyPI and could not be audited: "
                                     "redis (8.1.0)"}], "fixes": []}
OSV_DOWN = ("Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
            "HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded")


def test_a_known_vulnerability_fails_and_names_the_fix():
    verdict = judge(1, json.dumps(VULNERABLE), "")
    assert (verdict.status, verdict.exit_code) == ("vulnerable", 1)
    assert verdict.lines == ["django 5.2.1: PYSEC-2025-1 (CVE-2025-0001) — fixed in 5.2.2"]


def test_a_vulnerability_fails_even_when_the_service_missed_some_packages():
    report = {"dependencies": VULNERABLE["dependencies"] + NOT_FOUND["dependencies"][1:]}
    assert judge(1, json.dumps(report), "").exit_code == 1


def test_everything_audited_and_clean_passes():
    verdict = judge(0, json.dumps(CLEAN), "")
    assert (verdict.status, verdict.exit_code) == ("clean", 0)


def test_an_unreachable_service_is_said_loudly_but_does_not_fail_ci():
    for stdout, stderr in [(json.dumps(NOT_FOUND), ""), ("", OSV_DOWN)]:
        verdict = judge(0 if stdout else 1, stdout, stderr)
        assert (verdict.status, verdict.exit_code) == ("unreachable", 0)
        assert "NOTHING WAS AUDITED" in verdict.lines[0]


def test_an_unreachable_service_fails_where_the_audit_is_required():
    assert judge(1, "", OSV_DOWN, required=True).exit_code == 3


def test_pip_audit_failing_for_another_reason_fails():
    verdict = judge(1, "", "ERROR: requirements.lock: invalid requirement 'django=='")
    assert (verdict.status, verdict.exit_code) == ("error", 2)


@pytest.fixture
def fake_pip_audit(tmp_path):
    """A stand-in pip-audit that prints the given JSON report and exits with the given code."""
    def make(report: dict, code: int) -> dict[str, str]:
        script = tmp_path / "pip-audit"
        script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(report)}\nEOF\nexit {code}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        return {**os.environ, "PIP_AUDIT": str(script)}
    return make


@pytest.mark.parametrize("report, code, expected, words", [
    (VULNERABLE, 1, 1, "KNOWN VULNERABILITIES"),
    (NOT_FOUND, 0, 0, "NOT AUDITED"),
    (CLEAN, 0, 0, "pip-audit: OK"),
])
def test_the_ci_step_exits_and_speaks_as_it_should(fake_pip_audit, report, code, expected, words):
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_dependencies.py")],
        env=fake_pip_audit(report, code), capture_output=True, text=True, timeout=60,
        check=False)
    assert result.returncode == expected, result.stdout + result.stderr
    assert words in result.stdout


def test_ci_runs_the_audit_and_still_the_whole_suite():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/audit_dependencies.py" in ci
    assert ci.index("audit_dependencies.py") < ci.index("\nmake test\n")
