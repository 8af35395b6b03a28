"""Domain errors whose messages are translatable: an English message id plus named parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    """Mark a message for the catalog without translating it here (Babel extracts ``N_``)."""
    return message


class JudgingError(Exception):
    """A refusal a user must read: nothing was changed. ``str()`` gives the English text."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params))

    def render(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(**self.params)


class NotFound(JudgingError):
    """The object does not exist or the user may not know it exists (always the same answer)."""

    def __init__(self, what: str = "") -> None:
        super().__init__(N_("Not found."))
        self.what = what


class Conflict(JudgingError):
    """The change collides with stored state (duplicate, stale version)."""


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one form field: a message id and its named parameters."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(**self.params)


class FieldsInvalid(JudgingError):
    """Some fields are wrong; ``fields`` maps each field to its :class:`FieldError`. Nothing was stored."""

    def __init__(self, fields: dict[str, FieldError], message: str = N_("Some fields need correcting.")) -> None:
        super().__init__(message)
        self.fields = fields
