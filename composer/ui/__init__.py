"""composer.ui: the desktop app (PySide6 and qasync live only here) and its self-test."""
