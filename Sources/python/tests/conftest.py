import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _ledger_binary():
    given = os.environ.get("LEDGER_BIN")
    if given:
        return given
    for configuration in ("debug", "release"):
        candidate = os.path.join(ROOT, ".build", configuration, "ledger")
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("ledger")


@pytest.fixture(scope="session")
def ledger_bin():
    binary = _ledger_binary()
    if not binary:
        pytest.skip("no `ledger` binary: build the package (swift build) or set LEDGER_BIN")
    return binary


@pytest.fixture
def cli(ledger_bin):
    """Runs `ledger ARGS --store STORE`; returns the CompletedProcess."""

    def run(args, store=None, check=True):
        command = [ledger_bin, *args] + (["--store", str(store)] if store else [])
        env = {k: v for k, v in os.environ.items() if k != "LEDGER_STORE"}
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
        return result

    return run
