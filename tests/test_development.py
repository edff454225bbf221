"""The README's Development table tells the truth about the Makefile and CI's script."""

import re

from live import ROOT

# Make's own housekeeping, not a command a developer is told about.
UNLISTED = {"clean"}


def development_table() -> dict[str, str]:
    """Each row of the README's Development table: its command and what it says."""
    section = (ROOT / "README.md").read_text().split("## Development", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| (.*) \|$", section, re.M)
    return dict(rows)


def phony_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return {
        target for line in re.findall(r"^\.PHONY:(.*)$", makefile, re.M) for target in line.split()
    }


def test_the_table_lists_every_make_target_and_only_real_ones():
    listed = {command.split()[1] for command in development_table() if command.startswith("make ")}
    assert listed == phony_targets() - UNLISTED


def test_the_table_gives_ci_steps_in_the_order_ci_runs_them():
    script = (ROOT / ".ci" / "run").read_text()
    steps = re.findall(r"^make (\S+)", script, re.M)
    said = re.findall(r"`make (\S+?)[` ]", development_table()["bash .ci/run"])
    assert list(dict.fromkeys(said)) == list(dict.fromkeys(steps)) == ["lint", "fuzz", "test"]
