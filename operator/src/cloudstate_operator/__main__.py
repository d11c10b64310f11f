"""``cloudstate-operator`` / ``python -m cloudstate_operator``: run the operator until SIGTERM or SIGINT.

Settings come from ``CLOUDSTATE_*`` environment variables (see config.py and
the README). The operator runs standalone: one replica, no kopf peering, which
is what deploy/operator.yaml deploys (a Deployment with the Recreate strategy).
"""

from __future__ import annotations

import logging
import os
import sys

import kopf

from cloudstate_operator.config import ConfigError, OperatorConfig
from cloudstate_operator.handlers import register


def main() -> int:
    try:
        config = OperatorConfig.from_env(os.environ)
    except ConfigError as error:
        print(f"cloudstate-operator: {error}", file=sys.stderr)  # noqa: T201 (logging is not set up yet)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    registry = kopf.OperatorRegistry()
    register(registry, config)
    kopf.run(
        registry=registry,
        standalone=True,
        clusterwide=not config.namespaces,
        namespaces=config.namespaces,
        liveness_endpoint=f"http://0.0.0.0:{config.health_port}/healthz" if config.health_port else None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
