"""Building bindings from google.api.http rules: what is bound, and every rule refused at build time
(spec/13-http.md, HTTP-005 to HTTP-008, HTTP-055 to HTTP-064)."""

from __future__ import annotations

import pytest
from cloudstate.tck.model import action_pb2, crdt_pb2, eventlogeventing_pb2, eventsourced_pb2, valueentity_pb2
from cloudstate_proxy.http import HttpRuleError, build_http_app
from cloudstate_proxy.http.rules import collect_bindings
from transcoding_support import ScriptedInvoker, service, things


def test_bindings_of_the_test_service() -> None:
    routes = {
        (b.name.rsplit(".", 1)[1], b.http_method, b.template.source, b.body) for b in collect_bindings([things()])
    }
    assert ("Get", "GET", "/v1/things/{id}", "") in routes
    assert ("Update", "PATCH", "/v1/things/{id}", "inner") in routes
    assert ("Anything", "*", "/v1/anything/{id}", "") in routes
    assert ("Search", "SEARCH", "/v1/things:search", "*") in routes
    assert ("Nested", "POST", "/v1/shelves/{inner.name}", "tags") in routes  # an additional binding
    assert ("Plain", "POST", "/httptest.Things/Plain", "*") in routes  # the default route
    assert ("PlainStream", "POST", "/httptest.Things/PlainStream", "*") in routes
    methods = {name for name, *_ in routes}
    assert "Get" in methods
    assert not methods & {"Collect", "Chat"}  # streamed requests: no binding at all
    assert len([r for r in routes if r[0] == "Resource"]) == 5


def test_the_tck_model_services_build() -> None:
    modules = (action_pb2, crdt_pb2, eventlogeventing_pb2, eventsourced_pb2, valueentity_pb2)
    services = [s for module in modules for s in module.DESCRIPTOR.services_by_name.values()]
    routes = {(b.http_method, b.template.source) for b in collect_bindings(services)}
    assert ("POST", "/tck/model/eventsourced/{id}") in routes
    assert ("POST", "/tck/model/action/unary") in routes
    assert ("POST", "/cloudstate.tck.model.crdt.CrdtTwo/Call") in routes
    assert ("POST", "/cloudstate.tck.model.action.ActionTckModel/ProcessStreamed") not in routes  # duplex
    build_http_app(services, ScriptedInvoker())


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("SyntaxError", 'A, rule get "/x/{id": expected'),
        ("DoubleStarNotLast", "'**' must be the last segment"),
        ("UnknownField", "variable {nope}: httptest.invalid.Req has no field 'nope'"),
        ("ThroughRepeated", "'subs' is repeated"),
        ("RepeatedVariable", "variable {tags} is a repeated field"),
        ("MapVariable", "variable {labels} is a map field"),
        ("MessageVariable", "variable {sub} is a message field"),
        ("SameFieldTwice", "binds the same field more than once"),
        ("UnknownBody", "body 'nope' is not a top-level field"),
        ("NestedBody", "body 'sub.name' is not a top-level field"),
        ("GetWithBody", "a GET binding cannot have a body"),
        ("UnknownResponseBody", "response_body 'nope' is not a top-level field"),
        ("NestedAdditional", 'rule additional_bindings[0] get "/y": additional bindings cannot be nested'),
        ("WrongSelector", "selector 'httptest.invalid.Other.A' names another method"),
        ("NoPattern", "sets no pattern"),
        ("EmptyCustomKind", "custom kind '' is not an HTTP method name"),
        ("Conflict", 'httptest.invalid.Conflict.A (rule get "/x/{id}") and httptest.invalid.Conflict.B'),
        ("WildcardConflict", "WildcardConflict.A (rule delete"),
        ("DuplicateAdditional", 'additional_bindings[0] get "/x/a/{sub.name=**}"'),
        ("DefaultClash", 'DefaultClash.B (rule default route POST "/httptest.invalid.DefaultClash/B")'),
    ],
)
def test_invalid_rules_fail_the_build(name: str, problem: str) -> None:
    with pytest.raises(HttpRuleError) as raised:
        build_http_app([service(f"httptest.invalid.{name}")], ScriptedInvoker())
    message = str(raised.value)
    assert f"httptest.invalid.{name}.A" in message
    assert problem in message
    assert isinstance(raised.value, ValueError)


def test_a_conflict_across_services_is_found() -> None:
    with pytest.raises(HttpRuleError, match="match the same requests"):
        collect_bindings([things(), things()])
