"""axe-core injected into a page: the WCAG 2.1 A and AA audit of the browser tests."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent
SCRIPT = FOLDER / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_script() -> Path:
    """The axe-core script, installed from the npm registry (package-lock.json) when missing."""
    if not SCRIPT.exists():
        # Parallel test workers would each run `npm ci` into the same folder: one at a time.
        with open(FOLDER / ".install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _install()
    return SCRIPT


def _install() -> None:
    """Install the locked axe-core with npm, unless another worker just did."""
    if not SCRIPT.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "The accessibility audit needs axe-core from the npm registry, and npm is "
                f"missing: install Node.js and npm, or run `npm ci --prefix {FOLDER}`.",
                pytrace=False,
            )
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(FOLDER)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not SCRIPT.exists():
            pytest.fail(f"npm could not install axe-core:\n{done.stderr}", pytrace=False)


def violations(page) -> list[str]:
    """Every WCAG 2.1 A or AA rule the page breaks, one line each, naming where."""
    page.add_script_tag(path=str(axe_script()))
    found = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then((result) => result.violations.map((rule) => ({"
        "  id: rule.id, impact: rule.impact, help: rule.help,"
        "  where: rule.nodes.slice(0, 5).map((node) => node.target.join(' '))})))",
        WCAG_21_A_AA,
    )
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at {', '.join(rule['where'])}"
        for rule in found
    ]
