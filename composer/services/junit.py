"""A run as JUnit XML, the report format CI systems read (Jenkins, GitLab, GitHub Actions
reporters, Azure DevOps): one ``<testsuite>`` per pass over the collection (one per data row
with ``--data``), one ``<testcase>`` per request, a ``<failure>`` per request whose
expectations did not hold (each failed check on its own line), an ``<error>`` for a request
that could not be run (unreadable file, wrong expectation file, unknown variable), and
``<skipped>`` for requests a bail or a cancel left out. Valid against the Jenkins xUnit
plugin's JUnit schema (tests/cli/junit/junit-10.xsd)."""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime

from composer.services.runner import RequestResult, RunReport

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def junit_xml(
    report: RunReport,
    *,
    properties: Mapping[str, str] | None = None,
    started: datetime | None = None,
) -> bytes:
    """The report as a UTF-8 JUnit XML document (``properties``: target, environment... shown
    by CI beside the results)."""
    started = started or datetime.now(UTC)
    rows = _by_row(report)
    root = ET.Element(
        "testsuites",
        {
            "name": f"event-composer run {_text(report.collection)}",
            "tests": str(report.planned),
            "failures": str(sum(1 for r in report.results if not r.passed and not r.error)),
            "errors": str(sum(1 for r in report.results if r.error)),
            "time": _seconds(report.duration_ms),
        },
    )
    for row, results in rows.items():
        suite_name = report.collection if row is None else f"{report.collection} [row {row}]"
        skipped = [key for key, r in report.plan if r == row][len(results) :]
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": _text(suite_name),
                "tests": str(len(results) + len(skipped)),
                "failures": str(sum(1 for r in results if not r.passed and not r.error)),
                "errors": str(sum(1 for r in results if r.error)),
                "skipped": str(len(skipped)),
                "time": _seconds(sum(r.duration_ms for r in results)),
                "timestamp": started.strftime("%Y-%m-%dT%H:%M:%S"),
                "hostname": _text(socket.gethostname() or "localhost"),
            },
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (properties or {}).items():
            ET.SubElement(props, "property", {"name": _text(name), "value": _text(value)})
        for result in results:
            _case(suite, report.collection, result)
        why = (
            "not run: the run was cancelled"
            if report.cancelled
            else ("not run: an earlier request failed (--bail)")
        )
        for key in skipped:
            case = ET.SubElement(
                suite, "testcase", {"name": _text(key), "classname": _classname(report, key)}
            )
            ET.SubElement(case, "skipped", {"message": why})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _by_row(report: RunReport) -> dict[int | None, list[RequestResult]]:
    rows: dict[int | None, list[RequestResult]] = {row: [] for _key, row in report.plan}
    for result in report.results:
        rows.setdefault(result.row, []).append(result)
    return rows


def _case(suite: ET.Element, collection: str, result: RequestResult) -> None:
    attrs = {
        "name": _text(result.key),
        "classname": _text(_class_of(collection, result.key)),
        "time": _seconds(result.duration_ms),
    }
    case = ET.SubElement(suite, "testcase", attrs)
    reasons = result.reasons()
    if result.error:
        error = ET.SubElement(
            case,
            "error",
            {
                "type": "cancelled" if result.cancelled else "not-run",
                "message": _text(result.error),
            },
        )
        error.text = _text(result.error)
    elif not result.passed:
        failure = ET.SubElement(
            case, "failure", {"type": "expectation", "message": _text(reasons[0])}
        )
        failure.text = _text("\n".join(reasons))
    out = ET.SubElement(case, "system-out")
    out.text = _text("\n".join(_details(result)))


def _details(result: RequestResult) -> list[str]:
    lines = [
        f"{'ok  ' if c.passed else 'FAIL'} {c.check}" + (f": {c.reason}" if c.reason else "")
        for c in result.checks
    ]
    if result.status is not None:
        lines.append(f"status: {result.status}")
    if result.history_id is not None:
        lines.append(
            f"history entry: {result.history_id} (event-composer history show {result.history_id})"
        )
    if result.unique_id:
        lines.append(f"unique_id: {result.unique_id}")
    if result.verification:
        lines.append(f"read back: {result.verification}")
    return lines


def _classname(report: RunReport, key: str) -> str:
    return _text(_class_of(report.collection, key))


def _class_of(collection: str, key: str) -> str:
    folder = key.rpartition("/")[0]
    return ".".join([collection, *folder.split("/")]) if folder else collection


def _seconds(ms: float) -> str:
    return f"{max(0.0, ms) / 1000:.3f}"


def _text(value: str) -> str:
    """Text XML 1.0 can carry: characters it forbids are written as their escape."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
