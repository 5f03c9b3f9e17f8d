from baton_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service = "intake"
    port: int = 8001
    # Largest request body any door takes (an email with its attachments).
    max_body_bytes: int = 10 * 1024 * 1024
    # Same reporter, same normalized subject within this window: a near-duplicate.
    duplicate_window_s: int = 24 * 3600
    # Mail from these domains comes from employees: an internal request.
    internal_email_domains: list[str] = []
    # CloudEvent type on issues.inbound -> adapter (issue, chat, phone, social).
    inbound_types: dict[str, str] = {
        "baton.inbound.issue.v1": "issue",
        "baton.inbound.chat.v1": "chat",
        "baton.inbound.phone.v1": "phone",
        "baton.inbound.social.v1": "social",
    }
