"""A stable, versioned encoding of replicated states, for the durable store.

The encoding is UTF-8 JSON with sorted keys, no whitespace and every
collection in ascending order, so one state always gives the same bytes.
Elements are ``[type_url, base64(value)]``, which keeps payloads byte-exact
(ANY-025). The top-level object names its format; a reader refuses a format it
does not know instead of guessing.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from cloudstate_proxy.crdt.booleans import Flag, Vote
from cloudstate_proxy.crdt.causal import Dot
from cloudstate_proxy.crdt.counters import GCounter, PNCounter
from cloudstate_proxy.crdt.elements import Element
from cloudstate_proxy.crdt.errors import CorruptState
from cloudstate_proxy.crdt.ormap import ORMap
from cloudstate_proxy.crdt.register import LWWRegister
from cloudstate_proxy.crdt.replicated import TOMBSTONE, Crdt, Replicated, Tombstone
from cloudstate_proxy.crdt.sets import GSet, ORSet

FORMAT = 1
Json = object


def encode(state: Replicated) -> bytes:
    document = {"format": FORMAT, "state": _encode(state)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode(data: bytes) -> Replicated:
    """The state :func:`encode` wrote; raises :class:`CorruptState` for anything else."""
    try:
        document = _map(json.loads(data))
        if document.get("format") != FORMAT:
            raise CorruptState(f"unknown CRDT state format {document.get('format')!r}")
        return _decode(document["state"])
    except (ValueError, KeyError, TypeError, binascii.Error) as e:  # JSON, base64 and shape errors
        raise CorruptState(f"unreadable CRDT state: {e}") from e


def _encode(state: Replicated) -> dict[str, Json]:
    match state:
        case GCounter(counts):
            return {"type": state.KIND, "counts": dict(counts)}
        case PNCounter(up, down):
            return {"type": state.KIND, "up": dict(up.counts), "down": dict(down.counts)}
        case GSet(elements):
            return {"type": state.KIND, "elements": [_element(e) for e in sorted(elements)]}
        case ORSet(entries, context):
            listed = [[_element(e), sorted(entries[e])] for e in sorted(entries)]
            return {"type": state.KIND, "entries": listed, "context": dict(context)}
        case LWWRegister(value, clock, replica):
            return {"type": state.KIND, "value": _element(value), "clock": clock, "replica": replica}
        case Flag(on):
            return {"type": state.KIND, "on": on}
        case ORMap(entries, context):
            listed = [[_element(k), [[d, _encode(entries[k][d])] for d in sorted(entries[k])]] for k in sorted(entries)]
            return {"type": state.KIND, "entries": listed, "context": dict(context)}
        case Vote(changes):
            return {"type": state.KIND, "changes": dict(changes)}
        case Tombstone():
            return {"type": state.KIND}
    raise TypeError(f"not a CRDT state: {state!r}")


def _decode(document: Json) -> Replicated:
    fields = _map(document)
    kind = fields["type"]
    if kind == Tombstone.KIND:
        return TOMBSTONE
    return _decode_crdt(kind, fields)


def _decode_crdt(kind: Json, f: Mapping[str, Json]) -> Crdt:
    if kind == GCounter.KIND:
        return GCounter(_counts(f["counts"]))
    if kind == PNCounter.KIND:
        return PNCounter(GCounter(_counts(f["up"])), GCounter(_counts(f["down"])))
    if kind == GSet.KIND:
        return GSet(frozenset(_to_element(e) for e in _list(f["elements"])))
    if kind == ORSet.KIND:
        pairs = [_list(p) for p in _list(f["entries"])]
        tags = {_to_element(e): frozenset(_dot(d) for d in _list(dots)) for e, dots in pairs}
        return ORSet(tags, _counts(f["context"]))
    if kind == LWWRegister.KIND:
        return LWWRegister(_to_element(f["value"]), _int(f["clock"]), _str(f["replica"]))
    if kind == Flag.KIND and isinstance(f["on"], bool):
        return Flag(f["on"])
    if kind == ORMap.KIND:
        pairs = [_list(p) for p in _list(f["entries"])]
        written = {_to_element(k): dict(_written(w) for w in _list(ws)) for k, ws in pairs}
        return ORMap(written, _counts(f["context"]))
    if kind == Vote.KIND:
        return Vote(_counts(f["changes"]))
    raise ValueError(f"unknown CRDT type {kind!r}")


def _written(item: Json) -> tuple[Dot, Crdt]:
    dot, nested = _list(item)
    state = _decode(nested)
    if isinstance(state, Tombstone):
        raise ValueError("a tombstone inside an ORMap")
    return _dot(dot), state


def _element(element: Element) -> list[str]:
    return [element[0], base64.b64encode(element[1]).decode("ascii")]


def _to_element(item: Json) -> Element:
    type_url, value = _list(item)
    return (_str(type_url), base64.b64decode(_str(value), validate=True))


def _dot(item: Json) -> Dot:
    replica, sequence = _list(item)
    return (_str(replica), _int(sequence))


def _counts(item: Json) -> dict[str, int]:
    return {_str(k): _int(v) for k, v in _map(item).items()}


def _map(item: Json) -> Mapping[str, Json]:
    if not isinstance(item, dict):
        raise TypeError(f"expected an object, got {item!r}")
    return item


def _list(item: Json) -> list[Json]:
    if not isinstance(item, list):
        raise TypeError(f"expected an array, got {item!r}")
    return item


def _str(item: Json) -> str:
    if not isinstance(item, str):
        raise TypeError(f"expected a string, got {item!r}")
    return item


def _int(item: Json) -> int:
    if not isinstance(item, int) or isinstance(item, bool):
        raise TypeError(f"expected an integer, got {item!r}")
    return item
