"""A LakeSail Spark Connect server on 127.0.0.1 for the Spark engine's tests (pysail, a dev
dependency), started once per test process; and the runs that compare it with the local engine."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backup_fixtures import VENV_BIN, free_port


@pytest.fixture(scope="session")
def sail_remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sc://127.0.0.1:<port>` of a running `sail spark server`."""
    if importlib.util.find_spec("pysail") is None or importlib.util.find_spec("pyspark") is None:
        pytest.skip("pysail or pyspark-client is not installed (./setup.sh --dev installs both)")
    sail = shutil.which("sail", path=str(VENV_BIN)) or shutil.which("sail")
    if sail is None:
        pytest.skip("pysail is installed but its `sail` command is not on the PATH")
    port = free_port()
    folder: Path = tmp_path_factory.mktemp("sail")
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [sail, "spark", "server", "--ip", "127.0.0.1", "--port", str(port), "-C", str(folder)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sail did not start: {(folder / 'server.log').read_text()}")
                time.sleep(0.1)
        yield f"sc://127.0.0.1:{port}"
    finally:
        from lakeconsole.core.engines.spark import forget_sessions

        forget_sessions()
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
