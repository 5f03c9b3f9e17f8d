from baton_runtime.settings import ServiceSettings
from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator


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


class Settings(ServiceSettings):
    service = "notifications"
    port: int = 8004

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = 10.0
    # SMTP connections kept open and reused, at most this many at once.
    smtp_connections: int = Field(default=4, ge=1)
    # A CA bundle (PEM) to trust for STARTTLS, say a private CA; else the system's.
    smtp_ca_file: str | None = None
    mail_from: str = "Baton <baton@localhost>"
    # Where the links in a notification point (the ownership API, or a UI in front of it).
    public_base_url: str = "http://127.0.0.1:8003"
    # The workspace (BATON_WORKSPACE_URL): when set, notices link to the page there.
    workspace_url: str = ""

    # Webhooks (Slack-compatible and generic, signed).
    webhook_timeout_s: float = 10.0
    # Signs generic webhooks of recipients who set no secret of their own.
    webhook_secret: SecretStr | None = None
    # Fernet keys, comma-separated, sealing recipients' webhook secrets and URLs at
    # rest: the first seals, all open (baton_notifications.sealer). Empty: stored as given.
    encryption_keys: SecretStr = SecretStr("")

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

    # A sent or finally failed delivery is deleted this many days after it finished
    # (0 keeps them). It says who was told what and when, and holds the rendered
    # message and the address: kept long enough to answer "was I told?" and to retry
    # a failure by hand, not forever. Pending deliveries are never deleted.
    delivery_retention_days: int = Field(default=90, ge=0)
