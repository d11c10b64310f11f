"""The proxy's :class:`~cloudstate_proxy.invoking.Invoker`: routes calls to engines and settles outcomes.

Settling an outcome follows the fixed order of spec/05-commands-effects.md:
the engine has already persisted the state change; then the synchronous side
effects run one at a time, then the reply is released (or the forward is
invoked, or the failure raised), then the asynchronous side effects start.
Forwards and side effects are dispatched through this same router, to any
method of the user function.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence

from cloudstate import entity_pb2
from google.protobuf import any_pb2, message
from google.protobuf.message import DecodeError

from cloudstate_proxy import keys, metadata
from cloudstate_proxy.descriptors import MethodModel, ServiceModel
from cloudstate_proxy.effects import Effects
from cloudstate_proxy.engines.base import Engine, Invocation, Outcome
from cloudstate_proxy.errors import ClientFailure, EntityFailure, ProxyError, UnknownMethod, UserFunctionUnavailable
from cloudstate_proxy.invoking import Call, Response
from cloudstate_proxy.metrics import Metrics
from cloudstate_proxy.reporting import ErrorReporter

ANY = "google.protobuf.Any"


class Router:
    def __init__(
        self,
        services: Sequence[ServiceModel],
        engines: Mapping[str, Engine],
        reporter: ErrorReporter,
        metrics: Metrics,
        relay_timeout: float = 60.0,
    ) -> None:
        self._methods = {(s.name, m.name): m for s in services for m in s.methods.values()}
        self._services = {s.name: s for s in services}
        self._engines = engines
        self._reporter = reporter
        self._metrics = metrics
        self.effects = Effects(self, reporter, relay_timeout)
        #: Set at shutdown: new client calls are refused, work already under way goes on.
        self.closing = False

    def method(self, service: str, name: str) -> MethodModel | None:
        return self._methods.get((service, name))

    def _resolve(self, call: Call, client_streaming: bool, server_streaming: bool) -> MethodModel:
        if self.closing and not self.effects.nested():
            raise UserFunctionUnavailable("the proxy is shutting down")
        method = self._methods.get((call.service, call.method))
        if method is None:
            raise UnknownMethod(f"unknown method {call.service}/{call.method}")
        if (method.client_streaming, method.server_streaming) != (client_streaming, server_streaming):
            raise UnknownMethod(f"{call.service}/{call.method} is not called with this streaming shape")
        self._metrics.commands_received.labels(method.service, method.name).inc()
        return method

    def _invocation(self, method: MethodModel, call: Call, request: message.Message) -> Invocation:
        entity_id = keys.entity_id(request, method.key_fields) if self._services[method.service].keyed else ""
        return Invocation(method, method.pack(request), metadata.to_proto(call.metadata), entity_id)

    @contextlib.contextmanager
    def _measured(self, method: MethodModel) -> Iterator[None]:
        """Count the call as completed or failed (by status code) and time it."""
        labels, started = (method.service, method.name), time.perf_counter()
        try:
            yield
        except ProxyError as error:
            self._metrics.commands_failed.labels(*labels, error.code.name).inc()
            raise
        else:
            self._metrics.commands_completed.labels(*labels).inc()
        finally:
            self._metrics.command_seconds.labels(*labels).observe(time.perf_counter() - started)

    async def unary(self, call: Call, request: message.Message) -> Response:
        method = self._resolve(call, False, False)
        with self._measured(method):
            invocation = self._invocation(method, call, request)
            outcome = await self._outcome(method, invocation)
            return await self._settled(method, outcome, invocation.entity_id) or Response(method.output_class())

    async def _outcome(self, method: MethodModel, invocation: Invocation) -> Outcome:
        """The engine's outcome. A client that goes away does not cancel an entity command: once accepted, it
        runs, and its effects and forward still happen (FX-012); an action call is cancelled (ACT-033)."""
        engine = self._engines[method.service]
        if not self._services[method.service].keyed:
            return await engine.unary(invocation)
        work = self.effects.spawn(engine.unary(invocation))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            work.add_done_callback(lambda done: self._orphaned(method, done, invocation.entity_id))
            raise

    def _orphaned(self, method: MethodModel, done: asyncio.Task[Outcome], entity_id: str) -> None:
        if not done.cancelled() and done.exception() is None:
            self.effects.spawn(self.settle(method, done.result(), entity_id))

    async def _settled(self, method: MethodModel, outcome: Outcome, entity_id: str = "") -> Response | None:
        """settle(), finished even when the client goes away meanwhile (the outcome is already decided)."""
        return await asyncio.shield(self.effects.spawn(self.settle(method, outcome, entity_id)))

    async def server_streaming(self, call: Call, request: message.Message) -> AsyncIterator[Response]:
        method = self._resolve(call, False, True)
        with self._measured(method):
            invocation = self._invocation(method, call, request)
            # Closed at once when the client's stream ends early (a failure, a cancellation): that cancels the call.
            async with contextlib.aclosing(self._engines[method.service].server_streaming(invocation)) as outcomes:
                async for outcome in outcomes:
                    if (response := await self._settled(method, outcome)) is not None:
                        yield response

    async def client_streaming(self, call: Call, requests: AsyncIterator[message.Message]) -> Response:
        method = self._resolve(call, True, False)
        with self._measured(method):
            engine = self._engines[method.service]
            outcome = await engine.client_streaming(method, metadata.to_proto(call.metadata), _packed(method, requests))
            return await self._settled(method, outcome) or Response(method.output_class())

    async def bidi_streaming(self, call: Call, requests: AsyncIterator[message.Message]) -> AsyncIterator[Response]:
        method = self._resolve(call, True, True)
        with self._measured(method):
            engine = self._engines[method.service]
            md = metadata.to_proto(call.metadata)
            async with contextlib.aclosing(engine.bidi_streaming(method, md, _packed(method, requests))) as outcomes:
                async for outcome in outcomes:
                    if (response := await self._settled(method, outcome)) is not None:
                        yield response

    async def settle(self, method: MethodModel, outcome: Outcome, entity_id: str = "") -> Response | None:
        """Effects and client action of one outcome; None when it carries nothing for the client."""
        label = f"{method.service}.{method.name}" + (f" (entity id {entity_id!r})" if entity_id else "")
        await self.effects.run_synchronous(label, outcome.side_effects)
        try:
            if outcome.failure is not None:
                raise ClientFailure(outcome.failure.description)
            if outcome.forward is not None:
                return await self.effects.forward(method, label, outcome.forward)
            if outcome.reply is not None:
                return self._response(method, outcome.reply, label)
            return None
        finally:
            self.effects.start_asynchronous(label, outcome.side_effects)

    def _response(self, method: MethodModel, reply: entity_pb2.Reply, label: str) -> Response:
        payload, expected = reply.payload, method.descriptor.output_type.full_name
        headers = metadata.response_headers(reply.metadata)
        if expected == ANY:  # the payload itself is the answer (ANY-008)
            return Response(any_pb2.Any(type_url=payload.type_url, value=payload.value), headers)
        if reply.HasField("payload") and payload.type_url.rsplit("/", 1)[-1] != expected:
            self._reporter.report(
                f"{label}: reply payload type {payload.type_url} does not match the output type {expected}",
                warning=True,
            )
        output = method.output_class()
        try:
            output.ParseFromString(payload.value)
        except DecodeError:
            raise EntityFailure(f"{method.service}.{method.name}: the reply is not a valid {expected}") from None
        return Response(output, headers, raw=payload.value)


async def _packed(method: MethodModel, requests: AsyncIterator[message.Message]) -> AsyncIterator[any_pb2.Any]:
    async for request in requests:
        yield method.pack(request)
