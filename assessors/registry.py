"""Rules are metadata (id, description, help) kept apart from the checks that decide them, as in axe-core.

A catalog entry names the rule that decides it (`rule: contact-details`); the rule's check receives the
site and the catalog entry (whose `concepts` and `params` it reads) and returns one Finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from losi.models import Finding

if TYPE_CHECKING:
    from assessors.site import Site
    from indicators.catalog import Indicator

Check = Callable[["Site", "Indicator"], Finding]


@dataclass(frozen=True)
class Rule:
    id: str  # stable, kebab-case: "contact-details"
    description: str  # what the rule checks, one line
    help: str  # how it decides: the signals it reads and what makes met / not_met / needs_review
    check: Check
    needs_browser: bool = False


RULES: dict[str, Rule] = {}


def rule(rule_id: str, description: str, help: str, needs_browser: bool = False) -> Callable[[Check], Check]:
    """Register a check function under a stable rule id."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id!r} registered twice")
        RULES[rule_id] = Rule(rule_id, description, help, check, needs_browser)
        return check

    return register


def get_rule(rule_id: str) -> Rule | None:
    load_all_rules()
    return RULES.get(rule_id)


def load_all_rules() -> dict[str, Rule]:
    """Import every assessor module so their @rule decorators run."""
    import assessors.rules  # noqa: F401  (the package imports its modules)

    return RULES
