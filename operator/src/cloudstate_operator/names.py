"""The operator's vocabulary: API group, label and annotation keys, container and port names.

Everything that another module, a manifest in ``deploy/`` or a user's YAML
has to spell the same way lives here, so that it is spelled once.
"""

from __future__ import annotations

import re
from typing import Final

GROUP: Final = "cloudstate.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
SERVICE_KIND: Final = "StatefulService"
SERVICE_PLURAL: Final = "statefulservices"
STORE_KIND: Final = "StatefulStore"
STORE_PLURAL: Final = "statefulstores"

#: The field manager and ``app.kubernetes.io/managed-by`` value of everything the operator writes.
MANAGER: Final = "cloudstate-operator"

# Labels on every child of a StatefulService. The selector uses only SERVICE_LABEL,
# because a Deployment's selector can never change after creation.
SERVICE_LABEL: Final = f"{GROUP}/stateful-service"
MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
NAME_LABEL: Final = "app.kubernetes.io/name"
INSTANCE_LABEL: Final = "app.kubernetes.io/instance"
COMPONENT_LABEL: Final = "app.kubernetes.io/component"
PART_OF_LABEL: Final = "app.kubernetes.io/part-of"

# Annotations a plain Deployment carries to ask the webhook for the sidecar.
ENABLED_ANNOTATION: Final = f"{GROUP}/enabled"
STORE_ANNOTATION: Final = f"{GROUP}/stateful-store"
DATABASE_ANNOTATION: Final = f"{GROUP}/database"
USER_CONTAINER_ANNOTATION: Final = f"{GROUP}/user-container"
USER_PORT_ANNOTATION: Final = f"{GROUP}/user-function-port"
HTTP_PORT_ANNOTATION: Final = f"{GROUP}/http-port"
PROXY_IMAGE_ANNOTATION: Final = f"{GROUP}/proxy-image"
#: On the pod template: which store the pods were rendered for (informational).
RENDERED_STORE_ANNOTATION: Final = f"{GROUP}/rendered-store"

PROXY_CONTAINER: Final = "cloudstate-proxy"
TLS_VOLUME: Final = "cloudstate-postgres-tls"
TLS_MOUNT_PATH: Final = "/etc/cloudstate/postgres-tls"
TLS_ROOT_CERT_FILE: Final = "root.crt"

# Port names are IANA service names: at most 15 characters, unique within a pod.
HTTP_PORT_NAME: Final = "grpc-http"
METRICS_PORT_NAME: Final = "metrics"
MANAGEMENT_PORT_NAME: Final = "management"

#: Environment variables the operator sets on the proxy; a user may not set them through spec.proxy.env.
PROXY_ENV: Final = frozenset(
    {
        "HTTP_PORT",
        "USER_FUNCTION_HOST",
        "USER_FUNCTION_PORT",
        "METRICS_PORT",
        "MANAGEMENT_PORT",
        "STORE",
        "PASSIVATION_TIMEOUT",
        "PGUSER",
        "PGPASSWORD",
    }
)

# A Service name (and so every child name, which equals the parent's) is an RFC 1035 label;
# the same string is a label value, which allows at most 63 characters too.
MAX_NAME_LENGTH: Final = 63
DNS_LABEL: Final = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


def is_dns_label(name: str) -> bool:
    return len(name) <= MAX_NAME_LENGTH and DNS_LABEL.fullmatch(name) is not None


def child_labels(service: str) -> dict[str, str]:
    """The labels every child of the StatefulService ``service`` carries (and its pods)."""
    return {
        SERVICE_LABEL: service,
        NAME_LABEL: service,
        INSTANCE_LABEL: service,
        COMPONENT_LABEL: "stateful-service",
        PART_OF_LABEL: "cloudstate",
        MANAGED_BY_LABEL: MANAGER,
    }


def selector(service: str) -> dict[str, str]:
    return {SERVICE_LABEL: service}


def selector_string(service: str) -> str:
    """The label selector in the string form the scale subresource reports (``status.selector``)."""
    return ",".join(f"{key}={value}" for key, value in selector(service).items())
