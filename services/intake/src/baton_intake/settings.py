from baton_runtime.settings import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service = "intake"
    port: int = 8001
    # Largest request body any door takes (an email with its attachments); the
    # kernel answers 413 above it. Other services keep the kernel's 1 MiB.
    max_body_bytes: int = 10 * 1024 * 1024
    # Same reporter, same normalized subject within this window: a near-duplicate.
    duplicate_window_s: int = 24 * 3600
    # A retry with the same Idempotency-Key gets the first answer for at least this
    # many days; then the record is deleted (0 keeps them). Clients retry within
    # minutes or hours; a week also covers a queue stuck over a long weekend.
    idempotency_key_days: int = Field(default=7, ge=0)
    # Mail from these domains comes from employees: an internal request, but only
    # when the mail gateway vouches for the sender (baton_intake.sources.mail_auth).
    internal_email_domains: list[str] = []
    # The authserv-ids (RFC 8601) of the gateways whose Authentication-Results
    # headers are believed: the gateway must remove such headers that arrive from
    # outside, as RFC 8601 asks. Empty: no internal sender is ever vouched for.
    trusted_authserv_ids: list[str] = []
    # False only for a gateway that strips Authentication-Results yet rejects forged
    # internal senders itself: then a From in an internal domain is believed as is.
    internal_email_require_authentication: bool = True
    # Caps on a mail, checked before anything is made of its text: more header
    # fields or MIME parts is a 422; a longer body is cut to this many characters
    # before its HTML is made plain (what is kept is 20,000 characters anyway).
    email_max_headers: int = Field(default=500, ge=1)
    email_max_parts: int = Field(default=100, ge=1)
    email_max_text_chars: int = Field(default=200_000, ge=1)
    # CloudEvent type on issues.inbound -> adapter (issue, chat, phone, social).
    inbound_types: dict[str, str] = {
        "baton.inbound.issue.v1": "issue",
        "baton.inbound.chat.v1": "chat",
        "baton.inbound.phone.v1": "phone",
        "baton.inbound.social.v1": "social",
    }
