"""Whole-text rewrites (format, minify, a revision's shape) and the findings the composer keeps
between checks, without Qt."""

from __future__ import annotations

import json
import sys
import weakref

from composer.domain.draft import sample_event
from composer.domain.findings import Finding, Severity
from composer.domain.validator import Validator
from composer.editing.analysis import analyse
from composer.editing.checked import CheckedFindings
from composer.editing.rewrites import conversion, reformat, revision_of


def test_format_and_minify_make_one_whole_text_edit_and_leave_broken_text_alone() -> None:
    text = '{"a": [1,   2], "b": "café"}'
    pretty = reformat(text, minify=False)
    assert pretty is not None and (pretty.start, pretty.end) == (0, len(text))
    assert pretty.new == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": "café"\n}'
    short = reformat(text, minify=True)
    assert short is not None and short.new == '{"a":[1,2],"b":"café"}'
    assert reformat("{ broken", minify=False) is None


def test_a_conversion_names_both_revisions_so_undo_and_redo_can_take_them_back() -> None:
    text = json.dumps(sample_event(), indent=2)
    converted = conversion(text, "2024-10-15", "2023-01-24")
    assert converted is not None
    edit, label, report = converted
    assert json.loads(edit.new) != sample_event() and report.moved
    assert revision_of(label, undone=True) == "2023-01-24"
    assert revision_of(label, undone=False) == "2024-10-15"
    assert revision_of("typing", undone=True) is None
    assert conversion(text, "2023-01-24", "2023-01-24") is None  # nothing to move
    assert conversion("{ broken", "2024-10-15", "2023-01-24") is None


def test_the_servers_findings_hold_until_the_next_edit_and_a_check_is_fresh_for_its_text() -> None:
    checked = CheckedFindings()
    assert checked.findings() == [] and not checked.is_fresh(0)
    text = json.dumps(sample_event(), indent=2)
    analysis = analyse(text, Validator("2023-01-24"), 3)
    assert not checked.take(analysis)  # no syntax error before, none now
    assert checked.is_fresh(3) and not checked.is_fresh(4)
    server = Finding("/data/attributes/metric", Severity.ERROR, "server", "bad", source="server")
    checked.set_server([server], text, None)
    assert server in checked.findings()
    span = checked.span_of(server, text, None, 3)
    assert span is not None
    assert checked.drop_server() and not checked.drop_server()
    assert server not in checked.findings()
    checked.invalidate()
    assert not checked.is_fresh(3)
    broken = analyse("{ broken", Validator("2023-01-24"), 4)
    assert checked.take(broken) and checked.syntax is not None


def test_the_findings_kept_between_checks_do_not_keep_the_checks_parse_alive() -> None:
    # The composer's state has its own parse: a second one of a long text kept here would
    # only double what every full garbage collection walks.
    checked = CheckedFindings()
    event = sample_event()
    event["data"]["attributes"]["metric"]["name"] = ""
    text = json.dumps(event, indent=2)
    analysis = analyse(text, Validator("2023-01-24"), 3)
    tree = weakref.ref(analysis.tree)
    payload = analysis.payload
    finding = next(f for f in analysis.findings if f.pointer.endswith("/metric/name"))
    checked.take(analysis)
    del analysis
    assert tree() is None
    assert sys.getrefcount(payload) == 2  # this name and the call's argument: nothing else
    span = checked.span_of(finding, text, None, 3)  # the findings' places are kept
    assert span is not None and text[span.value_start : span.value_end] == '""'
