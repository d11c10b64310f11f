"""Hypothesis strategies for valid StatefulService and StatefulStore specs (as users write them: JSON objects)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

RESERVED_PORT_NAMES = {"grpc-http", "metrics", "management"}

LOWER = "abcdefghijklmnopqrstuvwxyz"
#: DNS labels (RFC 1035) up to the 63-character limit, built piecewise: cheaper to draw than from_regex.
names = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from(LOWER),
    st.text(LOWER + "0123456789-", max_size=61),
    st.sampled_from(["", *LOWER, *"0123456789"]),
).filter(lambda name: not name.endswith("-"))
images = st.sampled_from(["cloudstate/sdk-examples:0.1.0", "registry.example.com/team/cart@sha256:" + "a" * 64, "cart"])
quantities = st.sampled_from(["100m", "0.5", "1", "250m", "128Mi", "1Gi", "1.5Gi", "512M", "2e3"])
# Port numbers kept apart from everything the proxy might use, so containers never collide with it.
user_ports = st.integers(min_value=20000, max_value=29999)


def _env_name(variable: Any) -> Any:
    return variable["name"]


@st.composite
def ports(draw: st.DrawFn) -> dict[str, int]:
    # Never one of the defaults either: a port left out falls back to its default and must not collide.
    free = st.integers(1, 19999).filter(lambda p: p not in {8080, 9000, 9090, 8558})
    picked = draw(st.lists(free, min_size=4, max_size=4, unique=True))
    chosen = dict(zip(["userFunction", "http", "metrics", "management"], picked, strict=True))
    return draw(
        st.fixed_dictionaries(
            {}, optional={**{k: st.just(v) for k, v in chosen.items()}, "service": st.integers(1, 65535)}
        )
    )


def resources() -> st.SearchStrategy[dict[str, Any]]:
    amounts = st.dictionaries(st.sampled_from(["cpu", "memory"]), quantities, min_size=1)
    return st.fixed_dictionaries({}, optional={"requests": amounts, "limits": amounts})


@st.composite
def container(draw: st.DrawFn, *, name: str | None) -> dict[str, Any]:
    base: dict[str, Any] = {"image": draw(images)}
    if name is not None:
        base["name"] = name
    extras = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "args": st.lists(st.text("abcdefgh-=", min_size=1, max_size=8), max_size=3),
                "env": st.lists(
                    st.fixed_dictionaries(
                        {"name": st.sampled_from(["PORT", "HOST", "LOG", "MODE"]), "value": st.text(max_size=5)}
                    ),
                    max_size=3,
                    unique_by=_env_name,
                ),
                "resources": resources(),
                "ports": st.lists(
                    st.fixed_dictionaries(
                        {"containerPort": user_ports},
                        optional={
                            "name": st.text(LOWER, min_size=1, max_size=8).filter(
                                lambda n: n not in RESERVED_PORT_NAMES
                            )
                        },
                    ),
                    max_size=2,
                    unique_by=(lambda p: p["containerPort"], lambda p: p.get("name")),
                ),
            },
        )
    )
    return base | extras


@st.composite
def containers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One to three containers with distinct names; the first one sometimes unnamed (it becomes user-function)."""
    usable = names.filter(lambda n: n not in {"cloudstate-proxy", "user-function"})
    chosen: list[str | None] = list(draw(st.lists(usable, min_size=1, max_size=3, unique=True)))
    if draw(st.booleans()):
        chosen[0] = None
    return [draw(container(name=name)) for name in chosen]


@st.composite
def service_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": draw(containers())}
    optional = {
        "replicas": st.integers(0, 50),
        "storeConfig": st.fixed_dictionaries(
            {"statefulStore": st.fixed_dictionaries({"name": names})},
            optional={"database": st.text("abc_$ -", min_size=1)},
        ),
        "proxy": st.fixed_dictionaries(
            {},
            optional={
                "image": images,
                "imagePullPolicy": st.sampled_from(["Always", "IfNotPresent", "Never"]),
                "resources": resources(),
                "passivationTimeout": st.sampled_from(["30s", "500ms", "2m", "45", "1.5m"]),
                "env": st.lists(
                    st.fixed_dictionaries(
                        {"name": st.sampled_from(["LOG_LEVEL", "RELAY_TIMEOUT"]), "value": st.text(max_size=4)}
                    ),
                    max_size=2,
                    unique_by=_env_name,
                ),
            },
        ),
        "ports": ports(),
        "autoscaling": st.integers(1, 20).flatmap(
            lambda low: st.fixed_dictionaries(
                {"minReplicas": st.just(low), "maxReplicas": st.integers(low, 40)},
                optional={"targetCPUUtilizationPercentage": st.integers(1, 200)},
            )
        ),
    }
    return spec | draw(st.fixed_dictionaries({}, optional=optional))


@st.composite
def postgres_stores(draw: st.DrawFn) -> dict[str, Any]:
    mode = draw(st.sampled_from(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]))
    tls: dict[str, Any] = {"mode": mode}
    if mode.startswith("verify") or draw(st.booleans()):
        tls["rootCertSecret"] = {"name": draw(names)} | draw(
            st.fixed_dictionaries({}, optional={"key": st.just("ca.pem")})
        )
    postgres: dict[str, Any] = {
        "host": draw(st.sampled_from(["postgres", "db.example.com", "10.0.0.7", "fd00::5"])),
        "credentials": {"secret": {"name": draw(names)}}
        | draw(st.fixed_dictionaries({}, optional={"usernameKey": st.just("user"), "passwordKey": st.just("pass")})),
        "tls": tls,
    }
    postgres |= draw(
        st.fixed_dictionaries({}, optional={"port": st.integers(1, 65535), "database": st.text("ab_/?é", min_size=1)})
    )
    return {"postgres": postgres}


store_specs = st.one_of(st.just({"inMemory": {}}), postgres_stores())
