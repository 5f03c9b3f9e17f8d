"""A CloudEvents 1.0 compatible envelope (structured JSON mode).

Attribute names follow the CloudEvents spec so that any CloudEvents SDK can read
Baton's events. The ``type`` names the payload's version (``...v1``); within a
version, payload changes are additive only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# type -> payload model; filled by ``register`` in each topic family module.
_PAYLOADS: dict[str, type[BaseModel]] = {}
_TYPES: dict[type[BaseModel], str] = {}


def register(event_type: str, model: type[BaseModel]) -> None:
    _PAYLOADS[event_type] = model
    _TYPES[model] = event_type


def payload_model(event_type: str) -> type[BaseModel] | None:
    return _PAYLOADS.get(event_type)


def event_type(model: type[BaseModel]) -> str:
    """The ``type`` a registered payload model travels as (KeyError: not registered)."""
    return _TYPES[model]


def event_types(model: type[BaseModel]) -> frozenset[str]:
    """Every ``type`` that reads as ``model``: the one it travels as, and each older
    version whose ``upgrade()`` leads to it (``Envelope.payload``)."""
    event_type(model)  # a model never registered is a mistake, not an empty set
    if (current := _current(model)) is not model:
        raise ValueError(f"{model.__name__} is read as {current.__name__}: name that")
    return frozenset(t for t, m in _PAYLOADS.items() if _current(m) is model)


def _current(model: type[BaseModel]) -> type[BaseModel]:
    """What ``model``'s payloads read as: the model its ``upgrade()`` says it returns,
    and so on, or itself."""
    seen = [model]
    while (upgrade := getattr(seen[-1], "upgrade", None)) is not None:
        newer = get_type_hints(upgrade)["return"]
        if newer in seen:
            raise TypeError(f"{model.__name__}.upgrade() goes round in a circle")
        seen.append(newer)
    return seen[-1]


class EventParseError(ValueError):
    """The bytes are not a Baton event this version understands. Never retried."""


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    SPECVERSION: ClassVar[str] = "1.0"

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str  # the issue id: also the Kafka key, so one issue's events stay ordered
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    data: Any

    @classmethod
    def wrap(cls, *, source: str, data: BaseModel) -> Envelope:
        """Envelope a registered payload; its issue id becomes the subject."""
        return cls(source=source, type=_TYPES[type(data)], subject=data.issue_id, data=data)

    def payload(self) -> BaseModel:
        """The ``data`` as the current version's model: the model its ``type``
        names, upgraded when that type is an older version (its ``upgrade()``)."""
        if isinstance(self.data, BaseModel):
            data = self.data
        else:
            model = payload_model(self.type)
            if model is None:
                raise EventParseError(f"unknown event type {self.type!r}")
            data = model.model_validate(self.data)
        upgrade = getattr(data, "upgrade", None)
        return upgrade() if callable(upgrade) else data

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


def parse_event(raw: bytes | None) -> Envelope:
    """Parse and validate an envelope and its payload, or raise ``EventParseError``."""
    if not raw:
        raise EventParseError("empty message value")
    try:
        envelope = Envelope.model_validate_json(raw)
    except ValidationError as exc:
        raise EventParseError(f"not a CloudEvents envelope: {_summary(exc)}") from exc
    if envelope.specversion != Envelope.SPECVERSION:
        raise EventParseError(f"unsupported specversion {envelope.specversion!r}")
    model = payload_model(envelope.type)
    if model is None:
        raise EventParseError(f"unknown event type {envelope.type!r}")
    try:
        data = model.model_validate(envelope.data)
    except ValidationError as exc:
        raise EventParseError(f"invalid {envelope.type} payload: {_summary(exc)}") from exc
    return envelope.model_copy(update={"data": data})


def _summary(exc: ValidationError) -> str:
    # Field paths and error kinds only: never echo values, which may be personal data.
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
        for err in exc.errors(include_input=False)
    )[:500]
