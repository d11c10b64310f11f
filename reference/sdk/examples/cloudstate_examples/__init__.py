"""Example user functions built with cloudstate_sdk; run one with ``python -m cloudstate_examples.<name>``:

- ``shoppingcart``: a shopping cart as an event-sourced entity;
- ``valuecart``: the same cart as a value entity;
- ``greeter``: an action with one method per streaming shape;
- ``chat``: presence (a Vote) and chat room membership (an ORSet) as CRDT entities.
"""
