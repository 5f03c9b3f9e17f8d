from __future__ import annotations

from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from baton_runtime import egress
from baton_runtime.settings import ServiceSettings
from baton_runtime.smtp import SmtpSettings
from pydantic import BaseModel, Field, HttpUrl, SecretStr, field_validator, model_validator


class Connector(BaseModel):
    """Where a channel's answers go (its connector's webhook), and the secret they are
    signed with."""

    url: HttpUrl
    secret: SecretStr = Field(min_length=16)


class Settings(ServiceSettings, SmtpSettings):
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
    # Back-pressure: while more events than this wait in intake's outbox (committed,
    # not yet on Kafka), the doors that create issues answer 429 with Retry-After
    # instead of taking more in (baton_intake.backlog); 0, the default, never refuses.
    # Opt-in: the outbox is what keeps an issue while Kafka is slow or away, and on
    # the embedded default at 50 issues/s a bound of 50 refused a third of the POSTs
    # without raising the rate the pipeline carried (bench/e2e/notes.md, item 5).
    intake_max_outbox_backlog: int = Field(default=0, ge=0)
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

    # ---- answering reporters (baton_intake.outbound) ----
    # The mail server intake's answers go through is BATON_SMTP_* (the kernel's
    # SmtpSettings: its connections are kept open and reused). Who they come from:
    # the address whose mail reaches the email door, so that reporters' answers
    # come back.
    mail_from: str = "Customer service <support@localhost>"
    # Per channel (chat, social, web_form, ...): the connector that carries answers
    # to reporters on it, e.g. BATON_REPLY_CONNECTORS='{"chat": {"url": "https://chat.example/baton",
    # "secret": "..."}}'. A channel without one is answered by email when an address is known.
    # Connectors are reached like any outbound request (baton_runtime.egress): https
    # (http only in development), public addresses checked at connect time, no
    # redirects. An http URL outside development stops intake at start.
    reply_connectors: dict[str, Connector] = {}
    connector_timeout_s: float = Field(default=10.0, gt=0)
    # Connectors inside the cluster, allowed on purpose (empty: none): host names
    # (exact, e.g. "chat-connector.baton.svc.cluster.local") and addresses or networks
    # ("10.20.0.0/16") whose loopback, private, shared and link-local addresses a
    # connector may reach. Never the cloud metadata address; still https.
    connector_allowed_hosts: list[str] = []
    # Where reporters reach intake's own pages (the rating link), and the key their
    # links are signed with (empty: resolution messages carry no rating link).
    public_url: str = "http://127.0.0.1:8001"
    link_signing_key: SecretStr = SecretStr("")
    rating_link_days: int = Field(default=30, ge=1)
    # No spam: at most this many acknowledgements to one reporter in any hour.
    acknowledgements_per_hour: int = Field(default=3, ge=0)
    # An acknowledgement waits this long to name the department that owns the issue
    # (it goes as soon as ownership assigns one), then goes without.
    acknowledgement_wait_s: float = Field(default=120.0, ge=0)
    # Deadlines in reporters' messages are shown in this time zone.
    reporter_time_zone: str = "UTC"
    # Sending: a sender in every replica; failures retried with backoff, then failed.
    reply_poll_interval_s: float = 2.0
    reply_max_attempts: int = Field(default=5, ge=1)
    reply_backoff_base_s: float = 5.0
    reply_lease_s: float = 120.0
    reply_batch: int = Field(default=20, ge=1)

    @field_validator("reporter_time_zone")
    @classmethod
    def _a_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a time zone name such as Europe/Berlin") from None
        return name

    @field_validator("connector_allowed_hosts")
    @classmethod
    def _hosts_or_networks(cls, entries: list[str]) -> list[str]:
        try:
            egress.allowed_entries(entries)
        except ValueError as exc:
            raise ValueError(f"BATON_CONNECTOR_ALLOWED_HOSTS: {exc}") from None
        return entries

    @model_validator(mode="after")
    def _connectors_use_https(self) -> Settings:
        if self.environment == "development":
            return self
        plain = sorted(c for c, conn in self.reply_connectors.items() if conn.url.scheme != "https")
        if plain:
            raise ValueError(
                f"BATON_REPLY_CONNECTORS: the {', '.join(plain)} connector URL must use https "
                "(http only with BATON_ENVIRONMENT=development)"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.reporter_time_zone)

    @property
    def signature(self) -> str:
        """How answers are signed: the display name of BATON_MAIL_FROM."""
        return parseaddr(self.mail_from)[0] or "Customer service"
