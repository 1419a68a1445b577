"""Event Composer: compose, validate and send Klaviyo Create Event requests."""

__version__ = "0.1.0"
APP_NAME = "Event Composer"
