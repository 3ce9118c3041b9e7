"""Accounts and tokens: who is calling, and which routes need nobody.

The service's views use three names from here and nothing else:
``init_app(app)`` attaches authentication to the app, ``public(view)`` marks a
view that answers without a token, and ``current_username()`` names the caller
of the current request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, g

View = TypeVar("View", bound=Callable[..., object])

PUBLIC_ATTRIBUTE = "csvdrop_public"


def public(view: View) -> View:
    """Mark a view as answering without a token."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def current_username() -> str:
    """Return the name of the user making the current request."""
    username: str = g.csvdrop_username
    return username


def init_app(app: Flask) -> None:
    """Attach authentication to the app (filled in by the accounts work)."""
    raise NotImplementedError("authentication is not wired in yet")
