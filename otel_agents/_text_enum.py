"""The base of the conventions' enums: strings that print as their value."""

from __future__ import annotations

import enum


class TextEnum(str, enum.Enum):
    """An enum of strings whose ``str()`` is its value (``enum.StrEnum`` needs 3.11)."""

    def __str__(self) -> str:
        return str.__str__(self)
