"""A Kubernetes operator for Cloudstate, built on kopf.

Layers, bottom up (each imports only the ones below it):

* pure: ``names``, ``fields``, ``quantities``, ``config``, ``errors``, ``stores``,
  ``specs``, ``injection``, ``annotations``, ``manifests``, ``reconcile``, ``conditions``
  (spec in, manifests and status out; no kopf, no API client);
* ``kube``: the only module that talks to the Kubernetes API;
* ``reconciling``: one reconciliation pass, gluing the two;
* ``handlers``: the kopf handlers (:func:`register`).

The names below are the public, pure API: enough to render what the operator
would create without a cluster.
"""

from cloudstate_operator.config import ConfigError, OperatorConfig
from cloudstate_operator.errors import DependencyMissing, InvalidSpec, KubernetesError, OperatorError
from cloudstate_operator.injection import Sidecar, inject, proxy_container
from cloudstate_operator.manifests import Owner, desired_children
from cloudstate_operator.specs import ServiceSpec, parse_service
from cloudstate_operator.stores import StoreBinding, bind, parse_store

__all__ = [
    "ConfigError",
    "DependencyMissing",
    "InvalidSpec",
    "KubernetesError",
    "OperatorConfig",
    "OperatorError",
    "Owner",
    "ServiceSpec",
    "Sidecar",
    "StoreBinding",
    "bind",
    "desired_children",
    "inject",
    "parse_service",
    "parse_store",
    "proxy_container",
]
