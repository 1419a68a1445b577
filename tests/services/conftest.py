import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def example(name="viewed-product", *, unique_id=None, drop_unique_id=True, email=None):
    """An example event body (bytes) without its unique_id unless one is given."""
    doc = json.loads((EXAMPLES / f"{name}.event.json").read_text())
    attributes = doc["data"]["attributes"]
    if drop_unique_id:
        attributes.pop("unique_id", None)
    if unique_id is not None:
        attributes["unique_id"] = unique_id
    if email is not None:
        attributes["profile"]["$email"] = email
    return json.dumps(doc).encode()


@pytest.fixture
def make_example():
    return example


class RecordingHistory:
    """A HistorySink that keeps entries in memory, for checks on what the send path writes."""

    def __init__(self):
        self.begun = []
        self.completed = {}

    def begin(self, request, context):
        self.begun.append((request, context))
        return len(self.begun)

    def complete(self, entry_id, outcome):
        self.completed[entry_id] = outcome


@pytest.fixture
def history():
    return RecordingHistory()


FLAT_REVISION = "2023-01-24"
"""The revision the examples are written for (their profile and metric are flat): the tests that
send them say so, since the default revision (the newest) expects the relationship layout."""
