"""The mark that lets a view answer without a token."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

View = TypeVar("View", bound=Callable[..., object])

PUBLIC_ATTRIBUTE = "csvdrop_public"


def public(view: View) -> View:
    """Mark a view as answering without a token."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def is_public(view: object) -> bool:
    """Tell whether a view was marked with public."""
    return bool(getattr(view, PUBLIC_ATTRIBUTE, False))
