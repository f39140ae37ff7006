"""`nexus import` against a real `nexus up`: progress, commit, duplicates, clear refusals."""

from pathlib import Path

import httpx

from tests.system.test_cli import PASSWORD, Server, _nexus

STATEMENT = "Date,Description,Amount\n" + "".join(
    f"2026-10-{day:02d},Shop {day},-{day}.50\n" for day in range(1, 29)
)


def _table(output: str) -> dict[str, str]:
    """The rows of the summary table Rich printed: {label: value}."""
    rows = [line.split("│") for line in output.splitlines() if line.count("│") >= 3]
    return {cells[1].strip(): cells[2].strip() for cells in rows}


def _owner(url: str) -> str:
    email = "cli-import@example.com"
    registered = httpx.post(
        f"{url}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "org_name": "CLI import"},
    )
    assert registered.status_code == 201, registered.text
    token = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": email, "password": PASSWORD}
    ).json()["access_token"]
    setup = httpx.post(
        f"{url}/api/v1/ledger/setup",
        json={"template": "household", "base_currency": "EUR"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert setup.status_code == 201, setup.text
    return email


def test_nexus_import_commits_a_csv_and_a_second_run_finds_only_duplicates(
    server: Server, tmp_path: Path
) -> None:
    email = _owner(server.url)
    statement = tmp_path / "october.csv"
    statement.write_text(STATEMENT)
    env = {"NEXUS_PASSWORD": PASSWORD}
    args = ("import", str(statement), "--account", "1010", "--url", server.url, "--email", email)

    first = _nexus(*args, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "posted" in first.stdout

    second = _nexus(*args, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "duplicates" in second.stdout
    lines = {
        row.split("│")[1].strip(): row.split("│")[2].strip()
        for row in second.stdout.splitlines()
        if row.count("│") >= 3
    }
    assert (lines["posted"], lines["duplicates"]) == ("0", "28")


def test_nexus_import_of_a_bad_file_or_account_exits_non_zero_with_the_reason(
    server: Server, tmp_path: Path
) -> None:
    email = _owner(server.url)
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Description,Amount\n2026-10-01,Shop,-1.00\n2026-10-32,Shop,-2.00\n")
    env = {"NEXUS_PASSWORD": PASSWORD}
    refused = _nexus(
        "import", str(bad), "--account", "1010", "--url", server.url, "--email", email, env=env
    )
    assert refused.returncode == 1
    assert "line 3" in refused.stderr, refused.stderr
    wrong = _nexus(
        "import", str(bad), "--account", "9999", "--url", server.url, "--email", email, env=env
    )
    assert wrong.returncode == 1
    assert "9999" in wrong.stderr
    missing = _nexus("import", str(tmp_path / "nope.csv"), "--account", "1010", env=env)
    assert missing.returncode == 2
