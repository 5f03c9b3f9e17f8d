"""Where a webhook may go: the kernel's rules (``baton_runtime.egress``: https
outside development, public addresses checked at connect time, no redirects,
nothing a receiver says kept), and Slack webhooks only to the hosts of
``BATON_SLACK_WEBHOOK_HOSTS``. A recipient chooses the URL, so nothing here
allows a private address."""

from __future__ import annotations

from dataclasses import dataclass

from baton_runtime import egress

from baton_notifications.settings import Settings


@dataclass(frozen=True)
class Policy(egress.Policy):
    slack_hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, settings: Settings, resolve: egress.Resolver | None = None) -> Policy:
        return cls(
            development=settings.environment == "development",
            noun="webhook",
            slack_hosts=frozenset(h.lower() for h in settings.slack_webhook_hosts),
            resolve=resolve or egress.system_resolver,
        )


def check_url(url: str, *, channel: str, policy: Policy) -> tuple[str, int]:
    """The rules that need no DNS; returns the host and port to resolve."""
    host, port = egress.check_url(url, policy=policy)
    if channel == "slack" and host not in policy.slack_hosts:
        allowed = ", ".join(sorted(policy.slack_hosts)) or "none configured"
        raise egress.Refused(f"Slack webhooks may only go to {allowed} (BATON_SLACK_WEBHOOK_HOSTS)")
    return host, port


async def check_destination(url: str, *, channel: str, policy: Policy) -> None:
    """When preferences are saved: the URL's rules and, if the name resolves now,
    its addresses. The check that counts is the one at connect time."""
    check_url(url, channel=channel, policy=policy)
    await egress.check_destination(url, policy=policy)
