"""Container images of the Cloudstate project: the wheelhouse, the base image and the builds.

``python images/build.py`` is the command line; :func:`build` the same from Python.
"""

from __future__ import annotations

from cloudstate_images.builder import Outcome, build
from cloudstate_images.catalog import IMAGES, Image
from cloudstate_images.errors import BuildError

__all__ = ["IMAGES", "BuildError", "Image", "Outcome", "build"]
