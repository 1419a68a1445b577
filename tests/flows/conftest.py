"""The window fixtures (qloop, make_window, data_dir, no_keyring) for these tests."""

from tests.ui.window_fixtures import (  # noqa: F401 (fixtures are found by name)
    _private_keyring,
    _session_qloop,
    data_dir,
    make_window,
    no_keyring,
    qloop,
)
