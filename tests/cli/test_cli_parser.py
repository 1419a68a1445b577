"""The command line loads only the subcommand it runs (the window opens sooner), and still
answers --help and mistakes with the whole list of commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.cli import SUBCOMMANDS, _named_command, main


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        ([], "gui"),
        (["--data-dir", "/tmp/x"], "gui"),
        (["--data-dir=/tmp/x", "-v"], "gui"),
        (["gui", "event.json"], "gui"),
        (["--data-dir", "validate", "validate", "x.json"], "validate"),
        (["-v", "history", "list"], "history"),
        (["--help"], None),
        (["--version"], None),
        (["--data"], None),  # an abbreviation only argparse resolves
        (["bogus"], None),
    ],
)
def test_the_named_command_is_found_past_the_global_options(
    argv: list[str], named: str | None
) -> None:
    assert _named_command(argv) == named


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SUBCOMMANDS)


def test_an_unknown_command_is_answered_with_the_known_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--data-dir", str(tmp_path), "bogus"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err and "validate" in err and "history" in err


def test_a_subcommand_runs_with_its_own_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text("{")
    assert main(["--data-dir", str(tmp_path), "validate", str(event)]) == 2
    out = capsys.readouterr().out
    assert "INVALID" in out and "JSON syntax error" in out
