"""How a sender reports a failed send: worth retrying, or not."""


class DeliveryError(Exception):
    """A send failed. ``permanent`` ones (a 5xx from SMTP, a 4xx from a webhook other
    than 408/429) are not retried: the same message would fail the same way."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
