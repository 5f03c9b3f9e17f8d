"""The department catalog and ordered keyword rules, loaded from a YAML file."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

import yaml
from baton_shared.events import Person
from pydantic import BaseModel, ConfigDict, Field, model_validator

FALLBACK_DEPARTMENT = "customer_service"


class Department(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    liaisons: list[Person] = Field(min_length=1)
    escalation_contact: Person


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", ignored_types=(cached_property,))

    id: str
    description: str
    department: str
    keywords: list[str] = Field(min_length=1)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        # Whole words or phrases, case-insensitive; the longest alternatives first
        # so "cancel order" is reported rather than "order".
        words = sorted((k.strip().lower() for k in self.keywords), key=len, reverse=True)
        alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
        return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)

    def first_match(self, text: str) -> str | None:
        found = self.pattern.search(text)
        return " ".join(found.group(0).lower().split()) if found else None


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    departments: list[Department]
    rules: list[Rule]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        names = [d.name for d in self.departments]
        if len(set(names)) != len(names):
            raise ValueError("department names must be unique")
        if FALLBACK_DEPARTMENT not in names:
            raise ValueError(
                f"the catalog needs a {FALLBACK_DEPARTMENT!r} department (the fallback)"
            )
        rule_ids = [r.id for r in self.rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("rule ids must be unique")
        for rule in self.rules:
            if rule.department not in names:
                raise ValueError(f"rule {rule.id!r} names unknown department {rule.department!r}")
        return self

    def department(self, name: str) -> Department:
        return next(d for d in self.departments if d.name == name)


def load_catalog(path: Path) -> Catalog:
    with path.open(encoding="utf-8") as f:
        return Catalog.model_validate(yaml.safe_load(f))
