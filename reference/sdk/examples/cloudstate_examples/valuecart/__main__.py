"""Serve the value-entity shopping cart on $HOST:$PORT (default 127.0.0.1:8080)."""

from cloudstate_sdk import serve

from cloudstate_examples.valuecart import cart

if __name__ == "__main__":
    serve([cart], service_name="value-shopping-cart", service_version="1.0.0")
