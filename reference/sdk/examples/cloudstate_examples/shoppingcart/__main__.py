"""Serve the event-sourced shopping cart on $HOST:$PORT (default 127.0.0.1:8080)."""

from cloudstate_sdk import serve

from cloudstate_examples.shoppingcart import cart

if __name__ == "__main__":
    serve([cart], service_name="shopping-cart", service_version="1.0.0")
