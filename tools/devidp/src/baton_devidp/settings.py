"""The development identity provider's settings (``BATON_DEVIDP_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotForProduction(RuntimeError):
    """The development identity provider signs anyone in: never in production."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BATON_DEVIDP_", extra="ignore")

    # Read from BATON_ENVIRONMENT, as every Baton service reads it.
    environment: Literal["development", "production"] = Field(
        default="production", validation_alias="BATON_ENVIRONMENT"
    )
    host: str = "127.0.0.1"
    port: int = 8090
    # The issuer every token names; services check it (BATON_AUTH_ISSUER).
    issuer: str = "http://127.0.0.1:8090"
    # The audience of access tokens; services check it (BATON_AUTH_AUDIENCE).
    audience: str = "baton"
    # Where the signing key is kept, so tokens outlive a restart.
    state_dir: Path = Field(default=Path(".run"), validation_alias="BATON_STATE_DIR")
    # The people who can sign in: a Baton catalog (routing's YAML); empty means
    # the catalog routing ships.
    catalog_path: Path | None = None
    access_token_minutes: int = Field(default=60, ge=1)
    # Redirects are accepted only to these hosts (with any port): local clients.
    redirect_hosts: list[str] = ["127.0.0.1", "localhost"]

    def refuse_production(self) -> None:
        if self.environment != "development":
            raise NotForProduction(
                "The development identity provider signs in anyone who asks: it runs only "
                "with BATON_ENVIRONMENT=development. Use your company's identity provider "
                "(BATON_AUTH_ISSUER, BATON_AUTH_JWKS_URL) anywhere else."
            )
