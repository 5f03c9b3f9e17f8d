"""The workspace's settings: the Baton ones every service reads, and how people
sign in (``BATON_WORKSPACE_OIDC_*``), where ownership's API is, and the key that
signs session cookies."""

from __future__ import annotations

from baton_runtime.settings import ServiceSettings
from pydantic import Field, SecretStr


class Settings(ServiceSettings):
    service = "workspace"
    port: int = 8005

    # The company's OpenID Connect provider: its issuer (discovery at
    # <issuer>/.well-known/openid-configuration), this app's client id, and where the
    # provider sends people back after signing in (this app's /auth/callback).
    workspace_oidc_issuer: str = ""
    workspace_oidc_client_id: str = "baton-workspace"
    workspace_oidc_redirect_url: str = "http://127.0.0.1:8005/auth/callback"
    workspace_oidc_scopes: str = "openid profile email"
    # Commands (acknowledge, hand off, ...) go to ownership's API as the signed-in person.
    workspace_ownership_url: str = "http://127.0.0.1:8003"
    # The scorecards read interrupt load (notices) from notifications' API, as the
    # signed-in person; unset or unreachable, the page says so and shows the rest.
    workspace_notifications_url: str = "http://127.0.0.1:8004"
    # Signs the session cookie (and the sign-in state). 32+ characters; outside
    # development it must be set (`make run` makes one in .run/).
    workspace_session_key: SecretStr = SecretStr("")
    workspace_session_hours: float = Field(default=12, gt=0)
    # A live list's stream (server-sent events) ends after this long and the browser
    # reconnects: no connection outlives a deploy by much.
    workspace_live_max_seconds: float = Field(default=300, gt=0)
    # How often a live list looks for new work when nothing in this process woke it
    # (another replica consumed the event).
    workspace_live_poll_seconds: float = Field(default=3, gt=0)
    # The stall board's and scorecards' 30-day figures are counted at most this often
    # per process (0: on every request).
    workspace_scores_seconds: float = Field(default=15, ge=0)

    def check_session_key(self) -> None:
        key = self.workspace_session_key.get_secret_value()
        if self.environment == "development" and not key:
            return  # a key made at start-up: sessions end with the process
        if len(key) < 32:
            raise ValueError(
                "BATON_WORKSPACE_SESSION_KEY must be set to 32 or more random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))'): it signs "
                "everyone's session cookie."
            )
