from __future__ import annotations

from baton_runtime.settings import ServiceSettings
from baton_runtime.smtp import SmtpSettings
from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator, model_validator

from baton_notifications import zones


def parse_keys(keys: str) -> list[Fernet]:
    """The Fernet keys in ``keys`` (comma-separated); ValueError naming a bad one."""
    fernets = []
    for n, key in enumerate((k.strip() for k in keys.split(",") if k.strip()), start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise ValueError(
                f"BATON_ENCRYPTION_KEYS: key {n} is not a Fernet key (32 url-safe base64 "
                "bytes); make one with: python -m baton_notifications.sealing new-key"
            ) from None
    return fernets


class Settings(ServiceSettings, SmtpSettings):
    service = "notifications"
    port: int = 8004

    # The mail server: BATON_SMTP_* (baton_runtime.smtp.SmtpSettings).
    mail_from: str = "Baton <baton@localhost>"
    # Where the links in a notification point (the ownership API, or a UI in front of it).
    public_base_url: str = "http://127.0.0.1:8003"
    # The workspace (BATON_WORKSPACE_URL): when set, notices link to the page there.
    workspace_url: str = ""
    # Signs the acknowledge links in owners' notices; ownership, which serves them at
    # BATON_PUBLIC_BASE_URL/links/acknowledge/..., verifies them with the same key.
    # Empty: notices carry no such link.
    link_signing_key: SecretStr = SecretStr("")
    acknowledge_link_hours: float = Field(default=72, gt=0)
    # For recipients who set none of their own: the time zone deadlines are shown in,
    # and the language of notices (else the issue's; en and de have templates).
    default_time_zone: str = "UTC"
    default_language: str | None = None

    # Webhooks (Slack-compatible and generic, signed): the whole post, from resolving
    # the name to the answer's status line. They go only to public addresses over
    # https (baton_notifications.senders.egress; http and loopback in development).
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    # The only hosts a Slack webhook URL may name.
    slack_webhook_hosts: list[str] = ["hooks.slack.com"]
    # Signs generic webhooks of recipients who set no secret of their own.
    webhook_secret: SecretStr | None = None
    # Fernet keys, comma-separated, sealing recipients' webhook secrets and URLs at
    # rest: the first seals, all open (baton_notifications.sealer). Empty: stored as given.
    encryption_keys: SecretStr = SecretStr("")

    _known_zone = field_validator("default_time_zone")(zones.valid)

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, keys: SecretStr) -> SecretStr:
        parse_keys(keys.get_secret_value())  # ValueError names the bad key's position
        return keys

    # Delivery: a dispatcher in every replica sends what is due; failures are retried
    # with exponential backoff and jitter, then marked failed.
    delivery_poll_interval_s: float = 1.0
    delivery_max_attempts: int = 5
    delivery_backoff_base_s: float = 2.0
    delivery_backoff_max_s: float = 600.0
    # A claimed delivery is invisible to other replicas this long; a replica that dies
    # mid-send leaves it to be tried again after that.
    delivery_lease_s: float = 120.0
    delivery_batch: int = 50
    # The most one send may take, waiting for an SMTP connection included: it is
    # then tried again later. At most half the lease, so that every send of a batch
    # is settled before its lease runs out and another replica would send it again.
    delivery_send_timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _sends_end_well_within_the_lease(self) -> Settings:
        if self.delivery_send_timeout_s > self.delivery_lease_s / 2:
            raise ValueError(
                f"BATON_DELIVERY_SEND_TIMEOUT_S ({self.delivery_send_timeout_s}) must be at most "
                f"half of BATON_DELIVERY_LEASE_S ({self.delivery_lease_s}): a send still running "
                "when its lease ends is sent again by another replica"
            )
        for name in ("webhook_timeout_s", "smtp_timeout_s"):
            if getattr(self, name) > self.delivery_send_timeout_s:
                raise ValueError(
                    f"BATON_{name.upper()} ({getattr(self, name)}) must not exceed "
                    f"BATON_DELIVERY_SEND_TIMEOUT_S ({self.delivery_send_timeout_s})"
                )
        return self

    # A sent or finally failed delivery is deleted this many days after it finished
    # (0 keeps them). It says who was told what and when, and holds the rendered
    # message and the address: kept long enough to answer "was I told?" and to retry
    # a failure by hand, not forever. Pending deliveries are never deleted.
    delivery_retention_days: int = Field(default=90, ge=0)
