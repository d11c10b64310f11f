"""A stateless greeter served as an action (run: ``python -m cloudstate_examples.greeter``)."""

from cloudstate_examples.greeter.greeter import greeter

__all__ = ["greeter"]
