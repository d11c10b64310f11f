"""The value entity TCK model (cloudstate/tck/model/valueentity.proto).

The state is a string, stored as a ``Persisted`` message; the last update or
delete of a command wins.
"""

from __future__ import annotations

from datetime import timedelta

from cloudstate.tck.model import valueentity_pb2 as pb

from cloudstate_sdk.outcomes import Forward
from cloudstate_sdk.valueentity import ValueEntity, ValueEntityContext

_services = pb.DESCRIPTOR.services_by_name

model = ValueEntity(_services["ValueEntityTckModel"], persistence_id="value-entity-tck-model", initial_state=None)
two = ValueEntity(_services["ValueEntityTwo"], persistence_id="value-entity-tck-model-two")
configured = ValueEntity(
    _services["ValueEntityConfigured"],
    persistence_id="value-entity-configured",
    passivation_timeout=timedelta(milliseconds=100),
)
_call_two = two.call_ref("Call")


@model.command("Process")
def process(state: pb.Persisted | None, request: pb.Request, ctx: ValueEntityContext) -> pb.Response | Forward:
    forward: Forward | None = None
    for action in request.actions:
        kind = action.WhichOneof("action")
        if kind == "update":
            ctx.update_state(pb.Persisted(value=action.update.value))
        elif kind == "delete":
            ctx.delete_state()
        elif kind == "forward":
            forward = ctx.forward(_call_two.create_call(pb.Request(id=action.forward.id)))
        elif kind == "effect":
            call = _call_two.create_call(pb.Request(id=action.effect.id))
            ctx.effect(call, synchronous=action.effect.synchronous)
        elif kind == "fail":
            ctx.fail(action.fail.message)  # stops here; nothing is stored
    current: pb.Persisted | None = ctx.state
    return forward if forward is not None else pb.Response(message=current.value if current else "")


@two.command("Call")
def two_call(state: None, request: pb.Request, ctx: ValueEntityContext) -> pb.Response:
    return pb.Response()


@configured.command("Call")
def configured_call(state: None, request: pb.Request, ctx: ValueEntityContext) -> pb.Response:
    return pb.Response()


entities = [model, two, configured]
