"""Keeping tokens and secrets out of logs: spotipy writes ``Authorization`` headers into its debug logs."""

from __future__ import annotations

import logging
import re


class _RedactAuthorization(logging.Filter):
    """Blank out ``Basic``/``Bearer`` values that spotipy writes into its debug logs."""

    pattern = re.compile(r"\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.pattern.sub(r"\1 <redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_log_redaction() -> None:
    """Add the redacting filter to spotipy's loggers (once, however often it is called)."""
    for name in ("spotipy.client", "spotipy.oauth2"):
        spotipy_logger = logging.getLogger(name)
        if not any(isinstance(existing, _RedactAuthorization) for existing in spotipy_logger.filters):
            spotipy_logger.addFilter(_RedactAuthorization())


