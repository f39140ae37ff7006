"""A real `nexus up` per test, on a free port with its own data directory."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.test_cli import Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data")
    running.wait_ready()
    yield running
    running.stop()
