"""`event-composer history`: list, filters, search, show, export and import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer.cli import main
from composer.storage.history import HistoryStore
from tests.storage import factories as f


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        for email, metric, outcome in [
            ("ann@example.com", "Viewed Product", f.accepted),
            ("bad-address", "Placed Order", f.rejected),
            ("bo@example.com", "Placed Order", f.server_error),
            ("cy@example.com", "Added to Cart", f.refused),
        ]:
            req = f.request(f.body(email=email, metric=metric, Brand="Acme"))
            store.complete(store.begin(req, f.context("sandbox", metric, email)), outcome(req))
        store.begin(
            f.request(f.body(email="dee@example.com", metric="Started Checkout")),
            f.context("sandbox", "Started Checkout", "dee@example.com"),
        )
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), "history", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_listing_is_newest_first_with_the_unknown_outcome_visible(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(capsys, data_dir)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "WHEN", "DELIVERY", "STATUS", "METRIC", "PROFILE", "TARGET"]
    assert "unknown outcome" in lines[1] and "dee@example.com" in lines[1]
    assert "no response (refused)" in lines[2]
    assert "202" in lines[5] and "ann@example.com" in lines[5]


def test_limit_says_how_many_more_there_are(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(capsys, data_dir, "--limit", "2")
    assert code == 0 and len(out.splitlines()) == 4
    assert "(2 of 5 entries; --limit N shows more)" in out


def test_json_status_and_search_filters(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, _ = run(capsys, data_dir, "--json", "--status", "4xx", "--status", "5xx")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["status"] for r in rows] == [503, 400]
    assert rows[1]["profile"] == "bad-address" and rows[1]["findings"] == 1
    _, out, _ = run(capsys, data_dir, "--json", "--search", "email address is not valid")
    assert [json.loads(x)["profile"] for x in out.splitlines()] == ["bad-address"]
    _, out, _ = run(capsys, data_dir, "--search", "nothing-matches-this")
    assert out.strip() == "No entries match."
    _, out, _ = run(capsys, data_dir, "--json", "--metric", "Placed Order", "--since", "1d")
    assert len(out.splitlines()) == 2


def test_bad_options_are_refused_in_words(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, data_dir, "--status", "2XX")
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        run(capsys, data_dir, "--since", "last tuesday")
    assert "is not a date; write 2024-05-01" in capsys.readouterr().err


def test_show_prints_the_full_request_and_response(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(capsys, data_dir, "show", "2")
    assert code == 0
    assert "Status: 400 Bad Request" in out
    assert "POST https://a.klaviyo.com/api/events/" in out
    assert "Authorization: Klaviyo-API-Key ***" in out
    assert '"$email": "bad-address"' in out  # the request body, pretty
    assert "The email address is not valid." in out  # the response body
    assert "profile.$email: The email address is not valid." in out  # the findings
    _, out, _ = run(capsys, data_dir, "show", "5")
    assert "unknown outcome: no response was recorded" in out
    _, out, _ = run(capsys, data_dir, "show", "3")
    assert "Attempts" in out and "after waiting 500 ms" in out
    code, out, _ = run(capsys, data_dir, "show", "1", "--json")
    entry = json.loads(out)
    assert code == 0 and entry["status"] == 202 and entry["response"]["status"] == 202


def test_show_of_a_missing_entry_says_so(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, _, err = run(capsys, data_dir, "show", "99")
    assert code == 2 and "there is no entry 99" in err


@pytest.mark.parametrize("fmt", ["har", "ndjson", "curl"])
def test_export_writes_each_format(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path, fmt: str
) -> None:
    out_file = tmp_path / f"export.{fmt}"
    code, _, err = run(capsys, data_dir, "export", "--format", fmt, str(out_file))
    assert code == 0 and f"Exported 5 entries as {fmt}" in err
    text = out_file.read_text()
    if fmt == "har":
        assert len(json.loads(text)["log"]["entries"]) == 5
    elif fmt == "ndjson":
        assert len(text.splitlines()) == 5
    else:
        assert text.count("--request POST --url") == 5 and "$KLAVIYO_API_KEY" in text


def test_export_honours_filters_and_writes_to_stdout(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, err = run(capsys, data_dir, "export", "--format", "ndjson", "-", "--status", "2xx")
    assert code == 0 and "Exported 1 entry" in err
    assert json.loads(out)["data"]["attributes"]["profile"]["$email"] == "ann@example.com"


@pytest.mark.parametrize(
    "filters",
    [("--status", "2xx"), ("--search", "ann"), ("--metric", "Viewed Product")],
)
def test_filters_given_before_export_choose_what_is_exported(
    capsys: pytest.CaptureFixture[str], data_dir: Path, filters: tuple[str, str]
) -> None:
    """`history --status 2xx export ...` (the listing's filters, then the action) used to
    export every entry: the export's own unset filters wrote over the ones given first."""
    code, out, err = run(capsys, data_dir, *filters, "export", "--format", "ndjson", "-")
    assert code == 0 and "Exported 1 entry" in err
    assert json.loads(out)["data"]["attributes"]["profile"]["$email"] == "ann@example.com"


def test_json_given_before_show_prints_json(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(capsys, data_dir, "--json", "show", "1")
    assert code == 0 and json.loads(out)["id"] == 1


def test_export_to_a_missing_folder_says_so(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, data_dir, "export", "--format", "har", str(tmp_path / "no" / "such" / "x.har")
    )
    assert code == 2 and "No such file or directory" in err and "Traceback" not in err


def test_import_adds_entries_and_reports_skipped_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text(f.body().decode().replace("\n", "") + "\nnot json\n")
    state = tmp_path / "state"
    code, out, err = run(capsys, state, "import", str(events))
    assert code == 1 and "Imported 1 entry" in out and "line 2: not JSON" in err
    _, out, _ = run(capsys, state, "--json")
    assert json.loads(out)["state"] == "imported"


def test_an_empty_history_says_what_it_is_for(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, tmp_path / "fresh")
    assert code == 0 and "The history is empty" in out


def test_a_damaged_history_is_reported_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "history.sqlite3").write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, tmp_path)
    assert code == 2 and "damaged or is not a history database" in err
