"""A replay file that is a JSON array written on one line (as JSON.stringify writes it): every
event starts on line 1, so a message about one of them names it by number, line and column
(``events.json:1:245: event 3``), for a single replay and a bulk one alike; a file with one
event per line keeps its messages by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "resources" / "examples" / "viewed-product.event.json").read_text())


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)


def event(i: int) -> dict:
    doc = json.loads(json.dumps(EXAMPLE))
    attributes = doc["data"]["attributes"]
    attributes.pop("unique_id", None)
    attributes["profile"]["$email"] = f"p{i}@example.com"
    return doc


def starts(text: str) -> list[int]:
    """The 1-based column each element of a one-line JSON array starts at."""
    decoder, at, found = json.JSONDecoder(), 1, []
    while text[at] != "]":
        found.append(at + 1)
        _, end = decoder.raw_decode(text, at)
        at = end + (text[end] == ",")
    return found


def one_line_file(tmp_path, bad: int):
    docs = [event(i) for i in range(5)]
    del docs[bad]["data"]["attributes"]["metric"]
    text = json.dumps(docs, separators=(",", ":"))
    path = tmp_path / "events.json"
    path.write_text(text)
    return path, starts(text)


@pytest.mark.parametrize("bulk", [[], ["--bulk"]], ids=["single", "bulk"])
def test_an_invalid_event_of_a_one_line_array_is_named_by_number_and_column(tmp_path, capsys, bulk):
    path, columns = one_line_file(tmp_path, bad=2)
    assert main(["--data-dir", str(tmp_path / "s"), "replay", *bulk, str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1:{columns[2]}: event 3: not sent: " in err, err
    assert f"{path}:1: not sent" not in err  # never a bare line 1, which holds every event


@pytest.mark.parametrize("bulk", [[], ["--bulk"]], ids=["single", "bulk"])
def test_the_json_summary_gives_the_column_of_an_event_that_shares_its_line(tmp_path, capsys, bulk):
    path, columns = one_line_file(tmp_path, bad=3)
    main(["--data-dir", str(tmp_path / "s"), "replay", "--json", *bulk, str(path)])
    doc = json.loads(capsys.readouterr().out)
    listed = doc["problems"] if bulk else doc["failures"]
    assert [(p["index"], p["line"], p["column"]) for p in listed] == [(3, 1, columns[3])]


@pytest.mark.parametrize("bulk", [[], ["--bulk"]], ids=["single", "bulk"])
def test_an_array_with_one_event_per_line_is_still_reported_by_line(tmp_path, capsys, bulk):
    docs = [event(i) for i in range(4)]
    del docs[2]["data"]["attributes"]["metric"]
    path = tmp_path / "events.json"
    path.write_text("[\n" + ",\n".join(json.dumps(d) for d in docs) + "\n]\n")
    assert main(["--data-dir", str(tmp_path / "s"), "replay", *bulk, str(path)]) == 1
    assert f"{path}:4: not sent: " in capsys.readouterr().err


@pytest.mark.parametrize("bulk", [[], ["--bulk"]], ids=["single", "bulk"])
def test_a_syntax_mistake_inside_an_element_of_a_one_line_array_names_its_column(
    tmp_path, capsys, bulk
):
    parts = [json.dumps(event(i), separators=(",", ":")) for i in range(5)]
    parts[2] = parts[2].replace('"data":{', '"data":{,', 1)
    text = "[" + ",".join(parts) + "]"
    path = tmp_path / "events.json"
    path.write_text(text)
    assert main(["--data-dir", str(tmp_path / "s"), "replay", *bulk, str(path)]) == 2
    err = capsys.readouterr().err
    column = text.index('{,"') + 2  # the stray comma, 1-based
    assert f"line 1, column {column}: element 3 of the JSON array is not valid JSON" in err


def test_a_history_search_names_an_event_of_a_one_line_array_by_number(tmp_path, capsys):
    """A bulk job's events are recorded with their line; where a line holds several, the
    history's listing names the event by number too."""
    docs = [event(i) for i in range(5)]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(docs, separators=(",", ":")))
    assert main(["--data-dir", str(tmp_path / "s"), "replay", "--bulk", str(path)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "s"), "history", "--search", "p3@example.com"]) == 0
    out = capsys.readouterr().out
    assert "event 4 (line 1): p3@example.com" in out, out


def test_recorded_places_name_a_line_only_where_it_finds_the_event():
    from composer.services.replay_places import recorded_places

    # one event per line (NDJSON, or an array with "[" on a line of its own)
    assert recorded_places([(0, 1), (4, 5), (9, 12)]) == ["line 1", "line 5", "line 12"]
    # several events on one line: by number
    assert recorded_places([(0, 1), (1, 1), (2, 3)]) == [
        "event 1 (line 1)",
        "event 2 (line 1)",
        "line 3",
    ]
    # alone in the listing, but more events than lines before it: a line holds several
    assert recorded_places([(41, 1)]) == ["event 42 (line 1)"]
    assert recorded_places([(3, None)]) == ["event 4"]
