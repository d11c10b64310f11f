"""The SDK's own version, reported to the proxy in ServiceInfo."""

LIBRARY_NAME = "cloudstate-sdk"
__version__ = "0.1.0"
