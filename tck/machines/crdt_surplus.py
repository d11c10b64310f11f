"""Deltas that say more than the net change without changing the outcome, told apart from wrong ones.

Two mistakes leave the receiver with the value the user function holds but
still break a rule of spec 12: an ORSet element listed in both ``removed``
and ``added`` (CRDT-ORSET-003, where the receiver removes and adds it back),
and a VoteDelta for a command that left the vote as it was (CRDT-VOTE-001).
:func:`surplus` reports each under a check of its own, covering only that
requirement, and returns the delta without the surplus (an element in both
lists counts as the prediction has it), so that the rest of the delta is
still compared, and a reviewed exclusion of one of these requirements hides
nothing else.
"""

from __future__ import annotations

from cloudstate import crdt_pb2 as c

from tck.checks import Check, Recorder

ORSET_DISJOINT = Check(
    "crdt.delta.orset.disjoint", ("CRDT-ORSET-003",), "no element is listed in both removed and added"
)
VOTE_UNCHANGED = Check("crdt.delta.vote.unchanged", ("CRDT-VOTE-001",), "no vote delta when the vote did not change")
Issue = tuple[Check, str]


def surplus(predicted: c.CrdtDelta | None, observed: c.CrdtDelta) -> tuple[list[Issue], c.CrdtDelta | None]:
    """The surplus in ``observed`` (check and detail each), and ``observed`` without it (None when nothing is left)."""
    issues: list[Issue] = []
    trimmed = _trim(predicted, observed, issues)
    return issues, trimmed


def _trim(predicted: c.CrdtDelta | None, observed: c.CrdtDelta, issues: list[Issue]) -> c.CrdtDelta | None:
    kind = observed.WhichOneof("delta")
    if predicted is not None and predicted.WhichOneof("delta") != kind:
        return observed
    if kind == "vote" and predicted is None:
        issues.append((VOTE_UNCHANGED, "a vote delta for an unchanged vote"))
        return None
    if kind == "orset":
        return _trim_orset(predicted.orset if predicted else c.ORSetDelta(), observed.orset, issues)
    if kind == "ormap":
        return _trim_map(predicted.ormap if predicted else c.ORMapDelta(), observed.ormap, issues)
    return observed


def _trim_orset(predicted: c.ORSetDelta, observed: c.ORSetDelta, issues: list[Issue]) -> c.CrdtDelta | None:
    both = {e.SerializeToString(deterministic=True) for e in observed.removed} & {
        e.SerializeToString(deterministic=True) for e in observed.added
    }
    if not both:
        return c.CrdtDelta(orset=observed)
    issues.append((ORSET_DISJOINT, f"{len(both)} element(s) in both removed and added"))
    wanted = {e.SerializeToString(deterministic=True) for e in predicted.added}
    copy = c.ORSetDelta(cleared=observed.cleared)
    copy.removed.extend(e for e in observed.removed if e.SerializeToString(deterministic=True) not in both)
    copy.added.extend(e for e in observed.added if e.SerializeToString(deterministic=True) not in both - wanted)
    if not (copy.cleared or copy.removed or copy.added) and not predicted.ListFields():
        return None
    return c.CrdtDelta(orset=copy)


def _trim_map(predicted: c.ORMapDelta, observed: c.ORMapDelta, issues: list[Issue]) -> c.CrdtDelta | None:
    expected = {e.key.SerializeToString(deterministic=True): e.delta for e in predicted.updated}
    copy = c.ORMapDelta(cleared=observed.cleared, removed=observed.removed, added=observed.added)
    for entry in observed.updated:
        nested = _trim(expected.get(entry.key.SerializeToString(deterministic=True)), entry.delta, issues)
        if nested is not None:
            copy.updated.append(c.ORMapEntryDelta(key=entry.key, delta=nested))
    if not copy.ListFields() and not predicted.ListFields():
        return None
    return c.CrdtDelta(ormap=copy)


def excused(rec: Recorder, predicted: c.CrdtReply, observed: c.CrdtReply) -> bool:
    """Whether ``observed`` carries a delta where none was predicted that is all surplus, excused by the recorder.

    A user function that reports such a non-change treats it as a change, so
    its open streamed calls hear of it: under a reviewed exclusion the machine
    expects those messages too, instead of failing on them as unexpected.
    """
    if predicted.state_action.HasField("update") or not observed.state_action.HasField("update"):
        return False
    issues, rest = surplus(None, observed.state_action.update)
    return rest is None and bool(issues) and all(set(check.requirements) <= rec.excluded for check, _ in issues)
