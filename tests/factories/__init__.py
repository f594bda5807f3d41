"""Factories for test preconditions, one module per models module. Plain functions: each takes a
session, fills what the test does not care about, flushes, and returns the row."""

from .accounts import PASSWORD, make_organization, make_user
from .catalogue import make_challenge, make_technology
from .events import make_event
from .reference import field, municipality
from .workflow import make_project

__all__ = ["PASSWORD", "field", "make_challenge", "make_event", "make_organization", "make_project", "make_technology", "make_user",
           "municipality"]
