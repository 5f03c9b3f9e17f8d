"""Who can sign in: every person of the catalog, with the roles and departments
their place in it gives them, and three accounts for roles no catalog names."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    roles: tuple[str, ...]
    departments: tuple[str, ...] = ()
    note: str = ""

    def claims(self) -> dict[str, object]:
        return {
            "sub": self.id,
            "name": self.name,
            "email": self.email,
            "roles": list(self.roles),
            "departments": list(self.departments),
        }


@dataclass
class _Seat:
    name: str = ""
    email: str = ""
    roles: set[str] = field(default_factory=set)
    departments: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# Every employee may read the stall board and scorecards.
EVERYONE = "reader"
EXTRA = (
    Person("admin", "Ada Admin", "ada.admin@example.com", ("administrator", EVERYONE),
           note="administrator: catalog, rules, retraining, retries, API keys"),
    Person("agent", "Alex Agent", "alex.agent@example.com", ("agent", EVERYONE),
           note="agent: reports issues through intake"),
    Person("reader", "Riley Reader", "riley.reader@example.com", (EVERYONE,),
           note="any other employee: the stall board and scorecards"),
)  # fmt: skip


def default_catalog() -> Path:
    return Path(str(resources.files("baton_routing.catalog").joinpath("default.yaml")))


def load(catalog_path: Path | None = None) -> list[Person]:
    """The catalog's liaisons and heads (a person in several departments is one
    person with each of them), then the extra accounts."""
    data = yaml.safe_load((catalog_path or default_catalog()).read_text())
    seats: dict[str, _Seat] = {}
    for department in data.get("departments", []):
        name = department["name"]
        head = department.get("head") or department.get("escalation_contact")
        members = [(p, "liaison") for p in department.get("liaisons", [])] + [(head, "head")]
        for person, role in members:
            seat = seats.setdefault(person["id"], _Seat(person["name"], person["email"]))
            seat.roles.add(role)
            if name not in seat.departments:
                seat.departments.append(name)
            seat.notes.append(f"{role} of {name}")
    people = [
        Person(
            pid,
            seat.name,
            seat.email,
            tuple(sorted(seat.roles | {EVERYONE})),
            tuple(seat.departments),
            ", ".join(seat.notes),
        )
        for pid, seat in seats.items()
    ]
    return people + list(EXTRA)
