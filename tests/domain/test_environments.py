"""Environment files: stable formatting, byte-identical round trips, hostile and bad files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from composer.domain.environments import (
    Environment,
    EnvironmentFileError,
    find_environment,
    format_environment,
    list_environments,
    read_environment_file,
    write_environment_file,
)
from composer.domain.variables import Scope

STAGING = Environment(
    "staging",
    target="production",
    account="staging-account",
    revision="2024-10-15",
    email_domain="qa.example.com",
    variables={"store": "Berlin", "count": 3, "vip": True},
)


def test_written_with_sorted_members_indent_2_and_a_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "environments" / "staging.json"
    write_environment_file(path, STAGING)
    assert path.read_bytes() == (
        b"{\n"
        b'  "account": "staging-account",\n'
        b'  "email_domain": "qa.example.com",\n'
        b'  "revision": "2024-10-15",\n'
        b'  "target": "production",\n'
        b'  "variables": {\n'
        b'    "count": 3,\n'
        b'    "store": "Berlin",\n'
        b'    "vip": true\n'
        b"  }\n"
        b"}\n"
    )
    again = read_environment_file(path)
    assert again.environment == STAGING and again.environment.is_production


def test_load_then_save_keeps_the_exact_bytes_of_a_hand_written_file(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    original = (
        b'{"variables": {"z": "last", "a": "caf\\u00e9"},\r\n   "target":"sandbox",'
        b' "owner": {"team": "qa"}}'
    )
    path.write_bytes(original)
    loaded = read_environment_file(path)
    write_environment_file(path, loaded.environment, loaded)
    assert path.read_bytes() == original
    assert loaded.environment.extra == {"owner": {"team": "qa"}}  # unknown members are kept
    # A change rewrites it in the stable form, unknown members included.
    changed = Environment(**{**loaded.environment.__dict__, "account": "qa"})
    write_environment_file(path, changed, loaded)
    text = path.read_text(encoding="utf-8")
    assert '"owner": {\n    "team": "qa"\n  }' in text and text.endswith("}\n")
    assert read_environment_file(path).environment == changed


def test_an_empty_object_is_the_sandbox_without_variables(tmp_path: Path) -> None:
    (tmp_path / "plain.json").write_text("{}\n")
    env = read_environment_file(tmp_path / "plain.json").environment
    assert env == Environment("plain") and not env.is_production
    assert format_environment(env) == "{}\n"


FAKE_KEY = "ab" * 14
"""A key's shape, made here so that no key-like string stands in the source."""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"variables": {"api_key": "pk_' + FAKE_KEY + '"}}', "private API key"),
        ('{"account": "pk_' + FAKE_KEY + '"}', "private API key"),
        ('{"extra": ["sk_' + FAKE_KEY + '"]}', "private API key"),
        ("[1, 2]", "is a JSON object"),
        ('{"target": 5}', "target must be a non-empty string"),
        ('{"target": "staging-server"}', 'write "sandbox", "production" or a base URL'),
        ('{"revision": "latest"}', "revision 'latest' is not an API revision"),
        ('{"email_domain": "qa@example.com"}', "email_domain"),
        ('{"variables": ["a"]}', "variables must be an object"),
        ('{"variables": {"a b": "x"}}', "variables.a b is not a usable name"),
        ('{"variables": {"x": null}}', "variables.x must be a string"),
        ('{"variables": {"x": {"y": 1}}}', "variables.x must be a string"),
        ('{"target": "sandbox",}', "not JSON"),
        ('{"variables": {"n": NaN}}', "not JSON"),
        # variables are resolved in the event only: a target or account holding one was taken
        # as written and the send was refused for the wrong reason ("plain http would carry
        # the API key", "no key stored for account '{{acct}}'")
        (
            '{"target": "http://{{host}}:8787", "variables": {"host": "127.0.0.1"}}',
            "target holds the variable {{host}}",
        ),
        ('{"account": "{{acct}}"}', "account holds the variable {{acct}}"),
    ],
)
def test_bad_and_hostile_files_are_refused_naming_file_and_field(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EnvironmentFileError) as caught:
        read_environment_file(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and words in message
    assert "abcdefghijklmnop" not in message  # the key itself is never repeated


def test_unreadable_binary_and_huge_files_get_a_message(tmp_path: Path) -> None:
    binary = tmp_path / "bin.json"
    binary.write_bytes(b'{"a": "\xff\xfe"}')
    with pytest.raises(EnvironmentFileError, match="not UTF-8"):
        read_environment_file(binary)
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * 1_000_001)
    with pytest.raises(EnvironmentFileError, match="too big"):
        read_environment_file(huge)
    folder = tmp_path / "dir.json"
    folder.mkdir()
    with pytest.raises(EnvironmentFileError, match="cannot be read"):
        read_environment_file(folder)
    if os.geteuid() != 0:
        locked = tmp_path / "locked.json"
        locked.write_text("{}")
        locked.chmod(0)
        with pytest.raises(EnvironmentFileError, match="cannot be read"):
            read_environment_file(locked)


def test_a_bad_file_never_hides_the_good_ones(tmp_path: Path) -> None:
    write_environment_file(tmp_path / "b.json", Environment("b", target="sandbox"))
    write_environment_file(tmp_path / "A.json", Environment("A"))
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "notes.txt").write_text("not an environment")
    found, problems = list_environments(tmp_path)
    assert [f.environment.name for f in found] == ["A", "b"]
    assert len(problems) == 1 and "broken.json" in problems[0]
    assert list_environments(tmp_path / "missing") == ([], [])


def test_find_by_name_in_folders_or_by_path(tmp_path: Path) -> None:
    first, second = tmp_path / "coll" / "environments", tmp_path / "user"
    write_environment_file(first / "staging.json", STAGING)
    write_environment_file(second / "staging.json", Environment("staging"))
    write_environment_file(second / "local.json", Environment("local"))
    assert find_environment([first, second], "staging").environment == STAGING
    assert find_environment([first, second], "local").path == second / "local.json"
    assert find_environment([], str(second / "local.json")).environment.name == "local"
    with pytest.raises(EnvironmentFileError) as caught:
        find_environment([first, second], "prod")
    assert "'prod' not found" in str(caught.value) and "local, staging" in str(caught.value)


def test_scope_of_an_environment() -> None:
    scope = Scope.of(STAGING, {"store": "coll", "c": "1"}, {"row": "r"})
    assert scope.lookup("store") == ("Berlin", "environment")
    assert scope.lookup("c") == ("1", "collection")
    assert scope.lookup("count") == ("3", "environment")
    assert scope.email_domain == "qa.example.com" and scope.environment_name == "staging"
