import pytest

from composer.client import SANDBOX_KEY, parse_target
from composer.services.keys import ENV_KEY, KeyUnavailable, resolve_key

KEY = "pk_" + "e5" * 17


class Keys:
    def __init__(self, **stored):
        self.stored = stored

    def get_key(self, account):
        return self.stored.get(account)


def test_a_named_account_comes_from_the_keyring():
    resolved = resolve_key(parse_target("production"), "shop", Keys(shop=KEY), {ENV_KEY: "x"})
    assert resolved.key == KEY and resolved.account == "shop"
    assert KEY not in repr(resolved)


def test_a_named_account_missing_from_the_keyring_says_how_to_store_it():
    with pytest.raises(KeyUnavailable, match="event-composer key set shop"):
        resolve_key(parse_target("production"), "shop", Keys(), {})


def test_no_keyring_support_points_to_the_environment_variable():
    with pytest.raises(KeyUnavailable, match=ENV_KEY):
        resolve_key(parse_target("production"), "shop", None, {})


def test_the_environment_variable_is_used_without_an_account():
    resolved = resolve_key(parse_target("production"), None, None, {ENV_KEY: f" {KEY}\n"})
    assert resolved.key == KEY and resolved.account is None
    assert ENV_KEY in resolved.source


@pytest.mark.parametrize("target", ["sandbox", "http://127.0.0.1:8787"])
def test_local_targets_fall_back_to_the_fake_sandbox_key(target):
    resolved = resolve_key(parse_target(target), None, None, {})
    assert resolved.key == SANDBOX_KEY
    assert "fake" in resolved.source


@pytest.mark.parametrize("target", ["production", "https://events.example.test"])
def test_remote_targets_without_a_key_are_refused(target):
    with pytest.raises(KeyUnavailable, match="--account"):
        resolve_key(parse_target(target), None, None, {})
