"""``python -m tck``: the TCK's command line (see ``tck.cli``)."""

from tck.cli import console

console()
