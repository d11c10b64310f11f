"""A shopping cart kept as an event-sourced entity (run: ``python -m cloudstate_examples.shoppingcart``)."""

from cloudstate_examples.shoppingcart.cart import cart

__all__ = ["cart"]
