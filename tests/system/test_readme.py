"""The README's curl tour works when pasted, against a real `nexus up`."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.system.test_cli import Server

README = Path(__file__).resolve().parents[2] / "README.md"
pytestmark = pytest.mark.system


def test_readme_tour_runs_against_a_real_server(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.fail("curl is needed to run the README tour")
    text = README.read_text()
    tour = text[text.index("## A short tour") : text.index("## What is inside")]
    blocks = re.findall(r"```sh\n(.*?)```", tour, re.S)
    assert len(blocks) >= 6
    server = Server(tmp_path / "data")
    try:
        server.wait_ready()
        script = "set -euo pipefail\n" + "\n".join(blocks).replace(
            "http://127.0.0.1:8000", server.url
        )
        result = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert '"code":"entry_unbalanced"' in output
    assert '"balance":"4157.90"' in output  # the running balance after salary and groceries
    report = re.search(r'"ok":true,"checked":(\d+),"unsealed":(\d+)', output)
    assert report, output
    assert int(report.group(1)) + int(report.group(2)) == 2  # sealed or queued, never broken
    # The statement's salary and groceries are matched to the typed entries, not posted again.
    assert "'posted': 1, 'matched': 2, 'proposed': 0, 'duplicates': 0" in output
