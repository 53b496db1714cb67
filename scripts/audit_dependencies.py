#!/usr/bin/env python3
"""Known vulnerabilities in the pinned dependencies (requirements.lock), for CI.

Runs ``pip-audit -r requirements.lock`` (exact pins, no resolution, no install) and decides:

- a dependency with a known vulnerability → exit 1, naming it, its advisories and the fixed
  versions: upgrade the pin in pyproject.toml and requirements.lock;
- the vulnerability service could not be asked (no network, a mirror without PyPI's JSON
  API, OSV unreachable) → a loud banner and exit 0: CI must not fail because this machine
  is offline, but nobody may read that as "audited and clean". ``PIP_AUDIT_REQUIRED=true``
  makes this a failure too (exit 3) where the service must be reachable;
- pip-audit failing for another reason (a malformed lock file, a bug) → exit 2;
- everything audited, nothing found → exit 0.

Environment: ``PIP_AUDIT`` (the pip-audit executable; default: the one beside this Python),
``PIP_AUDIT_SERVICE`` (``pypi`` (default) or ``osv``), ``PIP_AUDIT_REQUIRED``.
docs/security.md ("Hardening") explains it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"

#: What pip-audit's traceback says when the service cannot be reached at all.
UNREACHABLE = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|Timeout|ServiceError|"
    r"Temporary failure in name resolution|Name or service not known|SSLError|ProxyError",
)


@dataclass
class Verdict:
    status: str  # "clean", "vulnerable", "unreachable", "incomplete", "error"
    exit_code: int
    lines: list[str] = field(default_factory=list)


def judge(returncode: int, stdout: str, stderr: str, *, required: bool = False) -> Verdict:
    """Read pip-audit's JSON report (``-f json``) and its exit status."""
    offline_code = 3 if required else 0
    try:
        report = json.loads(stdout)
        dependencies = report["dependencies"]
    except (ValueError, KeyError, TypeError):
        tail = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
        if UNREACHABLE.search(stderr):
            return Verdict("unreachable", offline_code, [
                "The vulnerability service could not be reached, so NOTHING WAS AUDITED.",
                *tail])
        return Verdict("error", 2, [f"pip-audit failed (exit {returncode}).", *tail])

    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if vulnerable:
        lines = []
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
                aliases = ", ".join(vuln.get("aliases") or [])
                lines.append(f"{dep['name']} {dep['version']}: {vuln['id']}"
                             f"{f' ({aliases})' if aliases else ''} — fixed in {fixes}")
        if skipped:
            lines.append(f"({len(skipped)} other dependencies could not be audited.)")
        return Verdict("vulnerable", 1, lines)
    audited = len(dependencies) - len(skipped)
    if skipped and audited == 0:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        return Verdict("unreachable", offline_code, [
            f"None of the {len(skipped)} pinned dependencies could be audited, so NOTHING "
            "WAS AUDITED: the vulnerability service did not answer for them.", *reasons])
    if skipped:
        return Verdict("incomplete", offline_code, [
            f"{audited} dependencies audited, no known vulnerability; "
            f"{len(skipped)} could not be audited:",
            *(f"  {d['name']} {d.get('version', '')}: {d['skip_reason']}" for d in skipped)])
    return Verdict("clean", 0, [f"{audited} pinned dependencies audited: "
                                "no known vulnerability."])


def banner(verdict: Verdict) -> str:
    if verdict.status == "clean":
        return "\n".join(["pip-audit: OK", *verdict.lines])
    title = {
        "vulnerable": "pip-audit: KNOWN VULNERABILITIES in requirements.lock",
        "unreachable": "pip-audit: NOT AUDITED — vulnerability service unreachable",
        "incomplete": "pip-audit: AUDIT INCOMPLETE",
        "error": "pip-audit: FAILED",
    }[verdict.status]
    rule = "!" * 78
    return "\n".join([rule, title, *verdict.lines, rule])


def main() -> int:
    executable = os.environ.get("PIP_AUDIT") or str(Path(sys.executable).with_name("pip-audit"))
    service = os.environ.get("PIP_AUDIT_SERVICE", "pypi")
    required = os.environ.get("PIP_AUDIT_REQUIRED", "").lower() in {"1", "true", "yes"}
    # --no-deps --disable-pip: the lock file pins every package exactly; audit those pins
    # without resolving or installing anything.
    command = [executable, "-r", str(LOCK), "--no-deps", "--disable-pip", "-f", "json",
               "--progress-spinner", "off", "--vulnerability-service", service]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600,  # noqa: S603
                                check=False)
    except subprocess.TimeoutExpired:
        verdict = Verdict("unreachable", 3 if required else 0,
                          ["pip-audit did not finish within 600 s: NOTHING WAS AUDITED."])
    else:
        verdict = judge(result.returncode, result.stdout, result.stderr, required=required)
    print(banner(verdict), flush=True)
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
