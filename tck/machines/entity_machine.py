"""The part of the entity machines that event-sourced and value entities share.

Entity ids live in two bundles: ``closed`` (known, no stream) and ``opened``
(a stream is open); opening, passivating and breaking a stream move them
between the two. Subclasses say how to open a stream from the store the TCK
keeps, and add their own commands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from google.protobuf.message import Message
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, multiple, rule

from tck import strategies
from tck.checks import Check, Recorder
from tck.machines import entity as common
from tck.models.effects import Failed, Replied
from tck.sdk.driver import UserFunction
from tck.sdk.streams import DuplexStream


@dataclasses.dataclass(frozen=True)
class EntityChecks:
    """The checks whose requirement IDs differ between the entity types."""

    first_reply: Check
    command_id: Check
    reply: Check
    rollback: Check
    passivation: Check
    restart_ends: Check
    violations: Mapping[str, Check]


class EntityMachine(RuleBasedStateMachine):
    closed = Bundle("closed_entities")
    opened = Bundle("open_entities")
    CHECKS: ClassVar[EntityChecks]
    WIRE: ClassVar[common.EntityWire[Any]]

    def __init__(self, uf: UserFunction, rec: Recorder | None = None) -> None:
        super().__init__()
        self.uf, self.rec = uf, rec or Recorder()
        self.live: dict[str, common.Live[Any, Any]] = {}
        self.known: set[str] = set()

    def stream(self) -> DuplexStream[Any, Any]:
        """A new stream of the entity protocol."""
        raise NotImplementedError

    def _open(self, entity_id: str) -> None:
        """Open a stream for the entity with its stored state, as a proxy would."""
        raise NotImplementedError

    def process(self, entity: Any, actions: Sequence[Any]) -> Any:
        """The model's outcome of a command with these actions for the entity."""
        raise NotImplementedError

    def compare(self, reply: Any, outcome: Any, state: Check) -> None:
        """Check a reply against the outcome; ``state`` is the check for the state the reply shows."""
        raise NotImplementedError

    def commit(self, entity_id: str, live: common.Live[Any, Any], outcome: Any) -> None:
        """Record a successful command: what the proxy stores, and the entity after it."""
        raise NotImplementedError

    def _command(self, entity_id: str, actions: Sequence[Any]) -> None:
        live = self.live[entity_id]
        outcome = self.process(live.entity, actions)
        failed = isinstance(outcome.client, Failed)
        if failed and not live.seen_state:
            self._probe(entity_id, self.CHECKS.reply)  # show the state first: a later mismatch is a missing rollback
        reply = self._send(live, entity_id, self.WIRE.request(entity_id, actions))
        self.compare(reply, outcome, self.CHECKS.reply)
        live.seen_state |= isinstance(outcome.client, Replied)
        if not failed:
            self.commit(entity_id, live, outcome)
        elif reply.client_action.failure.restart:
            self._restart(entity_id)
        else:
            self._probe(entity_id, self.CHECKS.rollback)

    def _probe(self, entity_id: str, state: Check) -> None:
        """An empty command whose reply shows the state: after a failure without restart, as before it."""
        live = self.live[entity_id]
        reply = self._send(live, entity_id, self.WIRE.request(entity_id, ()))
        self.compare(reply, self.process(live.entity, ()), state)
        live.seen_state = True

    @initialize(target=opened, entity_id=strategies.ids)
    def first_entity(self, entity_id: str) -> str:
        """Every program starts with one open entity, so that commands can come from the first step."""
        self.known.add(entity_id)
        self._open(entity_id)
        return entity_id

    @rule(target=closed, entity_id=strategies.ids)
    def new_entity(self, entity_id: str) -> object:
        if entity_id in self.known:
            return multiple()
        self.known.add(entity_id)
        return entity_id

    @rule(target=closed, entity_id=consumes(opened))
    def passivate(self, entity_id: str) -> str:
        live = self.live.pop(entity_id)
        live.stream.half_close()
        common.expect_end(self.rec, live.stream, self.CHECKS.passivation)
        return entity_id

    def _send(self, live: common.Live[Any, Any], entity_id: str, request: Message) -> Any:
        """Send the next command; the answer must be a reply with its id (the first one proves init was silent)."""
        command_id = live.take_id()
        live.stream.send(self.WIRE.command(command_id, entity_id, "Process", request))
        check = self.CHECKS.first_reply if command_id == 1 else self.CHECKS.command_id
        out: Any = common.receive(self.rec, live.stream, check, f"the reply to command {command_id}")
        self.rec.require(check, out.WhichOneof("message") == "reply", f"expected a reply, got {out}")
        self.rec.expect(check, command_id, out.reply.command_id, "command id")
        return out.reply

    def _restart(self, entity_id: str) -> None:
        """Failure.restart: half-close, the user function completes, a new stream loads the entity again."""
        live = self.live.pop(entity_id)
        live.stream.half_close()
        common.expect_end(self.rec, live.stream, self.CHECKS.restart_ends)
        self._open(entity_id)

    def _break(self, entity_id: str, kind: str, message: Message | None = None) -> None:
        """Send a violation on the entity's open stream; the user function must fail the stream."""
        live = self.live.pop(entity_id)
        message = message or common.violation(kind, self.WIRE, entity_id, live.next_id)
        is_command = message.WhichOneof("message") == "command"
        live.stream.send(message)
        ids = frozenset({live.next_id}) if is_command else frozenset({0})
        common.expect_violation_failure(self.rec, live.stream, self.CHECKS.violations[kind], ids)

    def _break_at_start(self, entity_id: str, kind: str) -> None:
        common.break_at_start(self.rec, self.stream(), self.WIRE, kind, entity_id, self.CHECKS.violations[kind])

    def _call_two(self, two: str, entity_id: str, request: Message, expected: Message, check: Check) -> None:
        """A short stream to the model's second service: init, one `Call`, half-close."""
        stream = self.stream()
        stream.send(self.WIRE.init(two, entity_id), self.WIRE.command(1, entity_id, "Call", request))
        out: Any = common.receive(self.rec, stream, check, "the reply to Call")
        self.rec.expect(check, expected, out.reply)
        stream.half_close()
        common.expect_end(self.rec, stream, self.CHECKS.passivation)

    def teardown(self) -> None:
        for live in self.live.values():
            live.stream.cancel()
