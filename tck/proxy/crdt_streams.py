"""Streamed CRDT commands (`ProcessStreamed`): opening a call, and the client cancelling it.

A call opens with a command whose ``streamed`` is true; the first answer's
state action is taken like a command's, its payload (unless the request is
``empty``) is the call's first message (CRDT-047, CRDT-048), and the call
stays open. Every later change of the entity reaches it as a streamed message
(checked by the step that caused the change). Over HTTP the call is the
default binding of the method, as newline-delimited JSON (HTTP-006, HTTP-043).
When the client cancels, the proxy must send ``StreamCancelled`` with the
entity id and the command id (CRDT-057) and apply the response's state action
(CRDT-060), which the other open calls hear of.
"""

from __future__ import annotations

from typing import Any

from cloudstate import entity_pb2
from cloudstate.tck.model import crdt_pb2 as model_pb2
from google.protobuf import json_format

from tck.models import crdt as model
from tck.proxy import crdt_checks as cc
from tck.proxy.calls import command_of
from tck.proxy.crdt_client import Stream
from tck.proxy.crdt_machine import CrdtMachineBase
from tck.proxy.crdt_outcome import OpenCall, Step
from tck.proxy.crdt_state import Held
from tck.proxy.harness import HEADER

HTTP_STREAMED = f"/{model.SERVICE}/{model.PROCESS_STREAMED}"


class CrdtStreams(CrdtMachineBase):
    def open_call(self, step: Step, request: model_pb2.StreamedRequest) -> None:
        request = self._unique(request)
        self.h.note(f"client -> {step.proxy}: {step.label}: {json_format.MessageToJson(request, indent=None)}")
        if self.held.get(step.entity, Held()).deleted:
            self.refused(step, lambda: self._start_call(step, request))
            return
        before = self.uf_entity(step.proxy, step.entity)
        answer = model.process_streamed(before, 0, request)  # again once the command id is known
        reply = answer.out[0].reply
        mark = self.h.icp.mark()
        client = self._start_call(step, request)
        if not request.empty:
            first = client.receive(self.h.bounds.wait)
            self.h.note(f"{step.proxy} -> client: {first}")
            expected = model_pb2.Response.FromString(reply.client_action.reply.payload.value)
            self.rec.expect(cc.STREAM_OPEN, expected, first, f"{step.label}: the first message")
            if step.via == "http":
                content_type = getattr(client, "content_type", "")
                self.rec.require(cc.HTTP_STREAM, content_type.startswith("application/json"), content_type)
        record, stream = self.command_record(step, mark, "an open call")
        self.check_stream(step, stream, record)
        self._check_command(record, request, step.via, step.tag)
        command = command_of(record.message)
        assert command is not None
        got = self.h.icp.wait(lambda: self.reply_record(stream.id, command), self.h.bounds.wait)
        self.rec.require(cc.STREAM_OPEN, got is not None, f"{step.label}: no reply to command {command.id}")
        answer = model.process_streamed(before, command.id, request)
        # Open before the outcome is taken: a tally the proxy sends at the next turn reaches this call too.
        self.calls[self.step] = OpenCall(step.proxy, step.entity, request, client, step.via, command.id, stream.id)
        self.take(step, stream.id, reply, answer, mark)

    def _unique(self, request: model_pb2.StreamedRequest) -> model_pb2.StreamedRequest:
        """The request with side-effect ids unique to the step and position (calls are told apart)."""
        copy = model_pb2.StreamedRequest()
        copy.CopyFrom(request)
        for n, effect in enumerate(copy.effects):
            effect.id = f"{self.prefix}{self.step}.{n}.{effect.id}"
        return copy

    def _start_call(self, step: Step, request: model_pb2.StreamedRequest) -> Stream:
        client, headers = self.clients[step.proxy], [(HEADER, step.tag)]
        if step.via == "http":
            return client.http_stream(HTTP_STREAMED, request, headers)
        stream: Stream = client.server_streaming(model.SERVICE, model.PROCESS_STREAMED, request, headers)
        return stream

    def cancel_call(self, number: int) -> None:
        call = self.calls[number]
        self.step += 1
        label = f"step {self.step}: the client of call {number} ({call.entity!r}, command {call.command_id}) leaves"
        step = Step(call.proxy, call.entity, model.PROCESS_STREAMED, call.via, "", label)
        answer = model.cancel(self.uf_entity(call.proxy, call.entity), call.command_id)
        del self.calls[number]
        mark = self.h.icp.mark()
        self.h.note(f"client: {label}")
        call.client.cancel()
        expected = entity_pb2.StreamCancelled(entity_id=call.entity, id=call.command_id)
        got = self.h.icp.wait(lambda: self._cancelled(call.stream, mark), self.h.bounds.wait)
        self.rec.expect(cc.CANCELLED, expected, got, f"{label}: what the user function is told")
        if call.via == "http":
            self.rec.ok(cc.HTTP_STREAM)
        response = self.h.icp.wait(lambda: self._response(call.stream, call.command_id, mark), self.h.bounds.wait)
        self.rec.require(cc.CANCELLED, response is not None, f"{label}: the cancellation was never answered")
        self.take(step, call.stream, answer.out[0].stream_cancelled_response, answer, mark)

    def _cancelled(self, stream: int, mark: int) -> entity_pb2.StreamCancelled | None:
        for record in self.h.icp.messages(stream):
            message: Any = record.message
            if record.seq >= mark and record.kind == "in" and message.WhichOneof("message") == "stream_cancelled":
                cancelled: entity_pb2.StreamCancelled = message.stream_cancelled
                return cancelled
        return None

    def _response(self, stream: int, command_id: int, mark: int) -> bool | None:
        for record in self.h.icp.messages(stream):
            out: Any = record.message
            if record.seq >= mark and record.kind == "out" and out.WhichOneof("message") == "stream_cancelled_response":
                return True if out.stream_cancelled_response.command_id == command_id else None
        return None

    def end_calls(self) -> None:
        """Cancel every open call (before a restart: the machine does not model calls cut by the proxy)."""
        for number in list(self.calls):
            self.cancel_call(number)
