"""Presence and chat rooms kept in CRDTs (run: ``python -m cloudstate_examples.chat``)."""

from cloudstate_examples.chat.presence import presence
from cloudstate_examples.chat.room import room

__all__ = ["presence", "room"]
