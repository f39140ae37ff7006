"""House rules that review kept repeating, turned into a check (STYLE.md rule 15).

- Only the session dependency commits: no `.commit()` outside nexus/core/db.py.
- Money never touches float: no `float` in a ledger or money module.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMIT = re.compile(r"\.commit\(\)")
FLOAT = re.compile(r"\bfloat\b")
COMMIT_ALLOWED = {ROOT / "nexus/core/db.py"}
FLOAT_FREE = [ROOT / "nexus/ledger", ROOT / "nexus/core/money.py"]


def _python_files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


def main() -> int:
    """Print every violation; exit non-zero when there is one."""
    problems = []
    for file in _python_files(ROOT / "nexus"):
        if file in COMMIT_ALLOWED:
            continue
        for number, line in enumerate(file.read_text().splitlines(), 1):
            if COMMIT.search(line) and not line.lstrip().startswith("#"):
                problems.append(
                    f"{file.relative_to(ROOT)}:{number}: commit outside the session dependency"
                )
    for root in FLOAT_FREE:
        for file in _python_files(root):
            for number, line in enumerate(file.read_text().splitlines(), 1):
                if FLOAT.search(line) and "never" not in line:
                    problems.append(f"{file.relative_to(ROOT)}:{number}: float in money code")
    for problem in problems:
        print(problem)  # noqa: T201
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
