"""Pure reference models of the protocol and the TCK model services.

No gRPC, no asyncio, no I/O: each module takes a state and an input and
returns the predicted outcome as frozen dataclasses (failures are values).
Import the modules themselves: ``from tck.models import eventsourced``.
"""
