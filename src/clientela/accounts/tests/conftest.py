"""The loopback SMTP server's fixtures, shared with the mail tests that introduced them."""

from clientela.mail.tests.conftest import queue, smtp_settings

__all__ = ["queue", "smtp_settings"]
