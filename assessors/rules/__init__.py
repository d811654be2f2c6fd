"""Every rule module; importing this package registers all rules (see assessors.registry)."""

from assessors.rules import (  # noqa: F401
    content,
    institutional,
    literacy,
    national,
    participation,
    services,
    technology,
)
