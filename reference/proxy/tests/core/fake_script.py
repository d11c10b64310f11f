"""The little language in ``Cmd.script`` that tells the fake user function what to answer.

Steps are separated by ";"; a forward's or effect's own script follows its
target after the third "/", with "," between its steps.

    emit:X        event State{value: X} (event sourced)
    snap          a snapshot with the events        snaponly   a snapshot without events
    update:X      value entity update               delete     value entity delete
    fail:TEXT     client failure                    restart    ... with Failure.restart
    crash:TEXT    stream-level failure              end        end the stream instead of replying
    wrongid       reply with another command id     twice      send the reply twice
    noaction      reply without client action       nothing    action response without outcome
    unset         (event sourced) an out message with its one-of unset
    forward:S/M/ID[/SCRIPT]   forward               effect:S/M/ID[/SCRIPT]  asynchronous side effect
    synceffect:S/M/ID[/SCRIPT]  synchronous side effect
    meta:K=V      reply metadata (string)           bmeta:K=V  reply metadata (bytes)
    sleep:SECONDS wait before answering             badtype    reply with a wrong type URL
    loop:S/M      forward to S/M with this same script (a forward loop)
    abort:TEXT    (actions) end the call with an error status
"""

from __future__ import annotations

import dataclasses

from cloudstate import entity_pb2
from fake_protos import Cmd, State, pack
from google.protobuf import any_pb2


@dataclasses.dataclass
class Script:
    steps: list[tuple[str, str]]

    @classmethod
    def parse(cls, text: str) -> Script:
        steps = []
        for step in filter(None, text.split(";")):
            name, _, arg = step.partition(":")
            steps.append((name, arg))
        return cls(steps)

    def has(self, name: str) -> bool:
        return any(step == name for step, _ in self.steps)

    def args(self, name: str) -> list[str]:
        return [arg for step, arg in self.steps if step == name]

    def arg(self, name: str) -> str | None:
        found = self.args(name)
        return found[-1] if found else None

    @property
    def sleep(self) -> float:
        return float(self.arg("sleep") or 0)


def _target(spec: str) -> tuple[str, str, any_pb2.Any]:
    service, method, entity_id, *rest = spec.split("/", 3)
    return service, method, pack(Cmd(id=entity_id, script=rest[0].replace(",", ";") if rest else ""))


def side_effects(script: Script) -> list[entity_pb2.SideEffect]:
    effects = []
    for name, arg in script.steps:
        if name in ("effect", "synceffect"):
            service, method, payload = _target(arg)
            effect = entity_pb2.SideEffect(service_name=service, command_name=method, synchronous=name == "synceffect")
            effect.payload.CopyFrom(payload)
            effects.append(effect)
    return effects


def reply_metadata(script: Script) -> entity_pb2.Metadata:
    metadata = entity_pb2.Metadata()
    for name, arg in script.steps:
        key, _, value = arg.partition("=")
        if name == "meta":
            metadata.entries.add(key=key, string_value=value)
        elif name == "bmeta":
            metadata.entries.add(key=key, bytes_value=value.encode())
    return metadata


def received(metadata: entity_pb2.Metadata) -> list[str]:
    """The request metadata as "key=value" strings (what the fake echoes back in State.meta)."""
    out = []
    for entry in metadata.entries:
        value = entry.string_value if entry.WhichOneof("value") == "string_value" else entry.bytes_value.decode()
        out.append(f"{entry.key}={value}")
    return out


def client_action(
    script: Script, value: str, command_id: int, metadata: entity_pb2.Metadata
) -> entity_pb2.ClientAction:
    """The client action the script asks for; a reply State{value, meta} unless told otherwise."""
    action = entity_pb2.ClientAction()
    if (text := script.arg("fail")) is not None:
        action.failure.CopyFrom(
            entity_pb2.Failure(command_id=command_id, description=text, restart=script.has("restart"))
        )
    elif (target := script.arg("loop")) is not None:  # forward to S/M with this very script: forever
        service, method = target.split("/")
        action.forward.service_name, action.forward.command_name = service, method
        text = ";".join(f"{name}:{arg}" if arg else name for name, arg in script.steps)
        action.forward.payload.CopyFrom(pack(Cmd(id="loop", script=text)))
    elif (target := script.arg("forward")) is not None:
        service, method, payload = _target(target)
        action.forward.service_name, action.forward.command_name = service, method
        action.forward.payload.CopyFrom(payload)
    elif not script.has("noaction"):
        action.reply.payload.CopyFrom(pack(State(value=value, meta=received(metadata))))
        if script.has("badtype"):
            action.reply.payload.type_url = "type.googleapis.com/cstest.Other"
        action.reply.metadata.CopyFrom(reply_metadata(script))
    return action
