"""One style: ruff's lint rules and formatter, as configured in pyproject.toml, over src, tests and bench."""

import subprocess
import sys

from support import ROOT

PATHS = ("src", "tests", "bench")


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the pinned ruff of this environment from the repository root."""
    return subprocess.run([sys.executable, "-m", "ruff", *args, *PATHS], cwd=ROOT, capture_output=True, text=True)


def test_the_code_passes_the_linter():
    result = _ruff("check", "--no-cache", "--output-format", "concise")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted():
    result = _ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
