from baton_shared.settings import ServiceSettings
from pydantic import SecretStr


class Settings(ServiceSettings):
    service = "notifications"
    port: int = 8004

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = 10.0
    mail_from: str = "Baton <baton@localhost>"
    # Where the links in a notification point (the ownership API, or a UI in front of it).
    public_base_url: str = "http://127.0.0.1:8003"
