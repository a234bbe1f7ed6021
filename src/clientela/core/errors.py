"""Errors that services raise and every view and endpoint turns into a clear 4xx."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """The record changed since the caller read it (stale version)."""

    def __init__(self, current_version: int | None = None):
        self.current_version = current_version
        super().__init__(
            _("This record was changed by someone else since you opened it. Reload and try again.")
        )


class ProtectedError(Exception):
    """The record cannot be deleted because other records refer to it."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}


__all__ = ["ConflictError", "ProtectedError", "ValidationError", "validation_messages"]
