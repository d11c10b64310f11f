"""Serve presence and chat rooms on $HOST:$PORT (default 127.0.0.1:8080)."""

from cloudstate_sdk import serve

from cloudstate_examples.chat import presence, room

if __name__ == "__main__":
    serve([presence, room], service_name="chat", service_version="1.0.0")
