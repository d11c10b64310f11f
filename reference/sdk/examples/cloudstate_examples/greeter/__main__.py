"""Serve the greeter action on $HOST:$PORT (default 127.0.0.1:8080)."""

from cloudstate_sdk import serve

from cloudstate_examples.greeter import greeter

if __name__ == "__main__":
    serve([greeter], service_name="greeter", service_version="1.0.0")
