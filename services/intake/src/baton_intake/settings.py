from baton_runtime.settings import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service = "intake"
    port: int = 8001
    # Largest request body any door takes (an email with its attachments).
    max_body_bytes: int = 10 * 1024 * 1024
    # Same reporter, same normalized subject within this window: a near-duplicate.
    duplicate_window_s: int = 24 * 3600
    # A retry with the same Idempotency-Key gets the first answer for at least this
    # many days; then the record is deleted (0 keeps them). Clients retry within
    # minutes or hours; a week also covers a queue stuck over a long weekend.
    idempotency_key_days: int = Field(default=7, ge=0)
    # Mail from these domains comes from employees: an internal request.
    internal_email_domains: list[str] = []
    # CloudEvent type on issues.inbound -> adapter (issue, chat, phone, social).
    inbound_types: dict[str, str] = {
        "baton.inbound.issue.v1": "issue",
        "baton.inbound.chat.v1": "chat",
        "baton.inbound.phone.v1": "phone",
        "baton.inbound.social.v1": "social",
    }
