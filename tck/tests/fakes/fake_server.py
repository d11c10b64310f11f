"""Run the fake TCK-model user function: ``python fake_server.py [--defect NAME]... [--restart]``.

Listens on 127.0.0.1 on a free port and prints ``PORT <n>`` once it serves.
Stops when its standard input closes (the test that started it went away).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import grpc
from cloudstate import action_pb2_grpc, entity_pb2_grpc, event_sourced_pb2_grpc, value_entity_pb2_grpc

from tck.tests.fakes import fake_action, fake_discovery, fake_eventsourced, fake_valueentity
from tck.tests.fakes.fake_action import Action
from tck.tests.fakes.fake_discovery import ENTITIES, Discovery
from tck.tests.fakes.fake_eventsourced import EventSourced
from tck.tests.fakes.fake_valueentity import ValueEntity


async def serve(defects: frozenset[str], restart: bool) -> None:
    server = grpc.aio.server()
    entity_pb2_grpc.add_EntityDiscoveryServicer_to_server(Discovery(ENTITIES, defects), server)
    event_sourced_pb2_grpc.add_EventSourcedServicer_to_server(EventSourced(defects, restart), server)
    value_entity_pb2_grpc.add_ValueEntityServicer_to_server(ValueEntity(defects, restart), server)
    action_pb2_grpc.add_ActionProtocolServicer_to_server(Action(defects), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(f"PORT {port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.stop(grace=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--defect", action="append", default=[])
    parser.add_argument("--restart", action="store_true", help="answer failures with Failure.restart")
    args = parser.parse_args()
    unknown = set(args.defect) - (
        fake_discovery.DEFECTS | fake_eventsourced.DEFECTS | fake_valueentity.DEFECTS | fake_action.DEFECTS
    )
    if unknown:
        parser.error(f"unknown defects: {sorted(unknown)}")
    asyncio.run(serve(frozenset(args.defect), args.restart))


if __name__ == "__main__":
    main()
