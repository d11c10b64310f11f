"""Run the fake TCK-model user function: ``python fake_server.py [--defect NAME]... [--restart] [--without AREA]...``.

Without ``--port`` it listens on 127.0.0.1 on a free port, prints ``PORT <n>``
once it serves, and stops when its standard input closes (the test that
started it went away). With ``--port N`` it serves on that port, as a process
the TCK runner starts, and stops on SIGTERM or SIGINT. ``--without AREA``
(event-sourced, value-entity, action, crdt, eventing) leaves an area out of discovery and
out of the server.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import grpc
from cloudstate import action_pb2_grpc, crdt_pb2_grpc, entity_pb2_grpc, event_sourced_pb2_grpc, value_entity_pb2_grpc

from tck.tests.fakes import (
    fake_action,
    fake_crdt_broken,
    fake_discovery,
    fake_eventing,
    fake_eventsourced,
    fake_valueentity,
)
from tck.tests.fakes.fake_discovery import ENTITIES, Discovery
from tck.tests.fakes.fake_eventing import Action, EventSourced
from tck.tests.fakes.fake_valueentity import ValueEntity

AREAS = {
    "event-sourced": "cloudstate.eventsourced.EventSourced",
    "value-entity": "cloudstate.valueentity.ValueEntity",
    "action": "cloudstate.action.ActionProtocol",
    "crdt": "cloudstate.crdt.Crdt",
}
EVENTING = "eventing"


async def serve(defects: frozenset[str], restart: bool, without: frozenset[str] = frozenset(), port: int = 0) -> None:
    server = grpc.aio.server()
    entities = [
        e
        for e in ENTITIES
        if e.entity_type not in {AREAS[area] for area in without - {EVENTING}}
        and not (EVENTING in without and e.service_name.startswith(fake_eventing.PACKAGE))
    ]
    entity_pb2_grpc.add_EntityDiscoveryServicer_to_server(Discovery(entities, defects), server)
    if "event-sourced" not in without:
        event_sourced_pb2_grpc.add_EventSourcedServicer_to_server(EventSourced(defects, restart), server)
    if "value-entity" not in without:
        value_entity_pb2_grpc.add_ValueEntityServicer_to_server(ValueEntity(defects, restart), server)
    if "action" not in without:
        action_pb2_grpc.add_ActionProtocolServicer_to_server(Action(defects), server)
    if "crdt" not in without:
        crdt_pb2_grpc.add_CrdtServicer_to_server(fake_crdt_broken.servicer(defects), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    loop = asyncio.get_running_loop()
    if port:
        stopped = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopped.set)
        await stopped.wait()
    else:
        print(f"PORT {bound}", flush=True)
        await loop.run_in_executor(None, sys.stdin.read)
    await server.stop(grace=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--defect", action="append", default=[])
    parser.add_argument("--restart", action="store_true", help="answer failures with Failure.restart")
    parser.add_argument("--without", action="append", default=[], choices=sorted([*AREAS, EVENTING]))
    parser.add_argument("--port", type=int, default=0, help="serve on this port until SIGTERM")
    args = parser.parse_args()
    unknown = set(args.defect) - (
        fake_discovery.DEFECTS
        | fake_eventsourced.DEFECTS
        | fake_valueentity.DEFECTS
        | fake_action.DEFECTS
        | fake_crdt_broken.DEFECTS
        | fake_eventing.DEFECTS
    )
    if unknown:
        parser.error(f"unknown defects: {sorted(unknown)}")
    asyncio.run(serve(frozenset(args.defect), args.restart, frozenset(args.without), args.port))


if __name__ == "__main__":
    main()
