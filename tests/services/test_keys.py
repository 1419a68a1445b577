import pytest

from composer.client import SANDBOX_KEY, KeyRoute, parse_target
from composer.services.keys import ENV_KEY, KeyRefused, KeyUnavailable, resolve_key

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


# -- where a key may go: one rule (KeyRoute) for the CLI, the GUI and replay ---------------


@pytest.mark.parametrize(
    ("target", "route"),
    [
        ("sandbox", KeyRoute.AUTOMATIC),
        ("production", KeyRoute.AUTOMATIC),
        ("http://127.0.0.1:8787", KeyRoute.AUTOMATIC),
        ("http://localhost:9", KeyRoute.AUTOMATIC),
        ("http://[::1]:80", KeyRoute.AUTOMATIC),
        ("https://events.example.test", KeyRoute.NAMED_ONLY),
        ("https://10.1.2.3:8443", KeyRoute.NAMED_ONLY),
        ("http://10.1.2.3:8443", KeyRoute.NEVER),
        ("http://events.example.test/proxy", KeyRoute.NEVER),
    ],
)
def test_each_kind_of_target_has_one_key_route(target, route):
    assert parse_target(target).key_route is route


def test_the_default_account_goes_by_itself_to_klaviyo():
    resolved = resolve_key(parse_target("production"), "shop", Keys(shop=KEY), {}, named=False)
    assert resolved.key == KEY and resolved.account == "shop"
    assert "default" in resolved.source


def test_the_default_account_does_not_go_by_itself_to_another_https_host():
    keys = Keys(shop=KEY)
    with pytest.raises(KeyRefused) as info:
        resolve_key(parse_target("https://10.1.2.3:8443"), "shop", keys, {}, named=False)
    message = str(info.value)
    assert "not Klaviyo" in message and "--account shop" in message and "10.1.2.3:8443" in message
    assert KEY not in message
    # named for this send, it goes
    named = resolve_key(parse_target("https://10.1.2.3:8443"), "shop", keys, {}, named=True)
    assert named.key == KEY


@pytest.mark.parametrize("named", [False, True])
@pytest.mark.parametrize("env", [{}, {ENV_KEY: KEY}])
def test_no_key_ever_goes_over_plain_http_to_another_host(named, env):
    with pytest.raises(KeyRefused) as info:
        resolve_key(parse_target("http://10.1.2.3:8443"), "shop", Keys(shop=KEY), env, named=named)
    assert "plain http" in str(info.value) and "https://" in str(info.value)


def test_a_refused_default_account_is_not_even_read_from_the_keyring():
    class Watching(Keys):
        def get_key(self, account):
            raise AssertionError("the keyring was read for a key that may not be sent")

    with pytest.raises(KeyRefused):
        resolve_key(parse_target("https://10.1.2.3"), "shop", Watching(), {}, named=False)
    with pytest.raises(KeyRefused):
        resolve_key(parse_target("http://10.1.2.3"), "shop", Watching(), {}, named=True)


def test_the_environment_key_goes_to_an_https_host_it_was_set_for():
    target = parse_target("https://10.1.2.3")
    resolved = resolve_key(target, "shop", Keys(), {ENV_KEY: KEY}, named=False)
    assert resolved.key == KEY and ENV_KEY in resolved.source


def test_the_client_itself_never_puts_a_key_on_plain_http_to_another_host():
    from composer.client import EventClient, KeyFormatError

    with pytest.raises(KeyFormatError, match="plain http"):
        EventClient(parse_target("http://10.1.2.3:8443"), KEY)
