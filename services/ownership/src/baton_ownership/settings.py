from typing import Literal

from baton_runtime.settings import ServiceSettings
from pydantic import BaseModel, Field, SecretStr


class EscalationStep(BaseModel):
    """One step of a department's escalation chain."""

    to: Literal["backup", "department_head", "customer_service_head"]
    # "move": ownership passes to that person (an owner who never acknowledges does
    # not keep the issue); "notify": they are told, the owner keeps it.
    action: Literal["move", "notify"]


class DepartmentDeadlines(BaseModel):
    """A department's own deadlines by priority, in minutes; missing ones fall back."""

    acknowledge_minutes: dict[str, int] = {}
    resolve_minutes: dict[str, int] = {}


class Settings(ServiceSettings):
    service = "ownership"
    port: int = 8003

    # Deadlines by priority, in minutes (BATON_ACKNOWLEDGE_MINUTES='{"urgent": 5, ...}').
    acknowledge_minutes: dict[str, int] = {"urgent": 15, "high": 60, "normal": 240, "low": 1440}
    resolve_minutes: dict[str, int] = {
        "urgent": 240, "high": 1440, "normal": 4320, "low": 10080,
    }  # fmt: skip
    # Per-department overrides, e.g. BATON_DEPARTMENT_DEADLINES=
    #   '{"it": {"acknowledge_minutes": {"urgent": 5}},
    #     "finance": {"resolve_minutes": {"normal": 1440}}}'
    department_deadlines: dict[str, DepartmentDeadlines] = {}
    # "Deadline near" is said when this share of a clock has run (0 turns it off).
    deadline_near_fraction: float = 0.8
    # Each escalation step gives the next person this long before the next step.
    escalation_step_minutes: int = 60
    escalation_chain: list[EscalationStep] = [
        EscalationStep(to="backup", action="move"),
        EscalationStep(to="department_head", action="move"),
        EscalationStep(to="customer_service_head", action="notify"),
    ]
    # On call: each layer called for an urgent issue outside working hours has this
    # long to acknowledge before the next layer is called (minutes, on the clock).
    on_call_escalate_minutes: float = Field(default=15.0, gt=0)
    # An issue held by more departments than this raises a silo alarm.
    silo_alarm_hops: int = 3
    customer_service_department: str = "customer_service"
    deadline_check_interval_s: float = 15.0
    # Verifies the acknowledge links in owners' notices (notifications signs them
    # with the same key). Empty: such links are refused.
    link_signing_key: SecretStr = SecretStr("")
