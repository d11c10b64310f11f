"""A shopping cart kept as a value entity (run: ``python -m cloudstate_examples.valuecart``)."""

from cloudstate_examples.valuecart.cart import cart

__all__ = ["cart"]
