"""How a sender reports a failed send: worth retrying, or not. The kernel's
``SendFailed`` (``baton_runtime.smtp``, which the mailer raises), under the name
notifications gives it: a 5xx from SMTP, or a 4xx from a webhook other than 408
and 429, is ``permanent`` and not retried, since the same message would fail the
same way."""

from baton_runtime.smtp import SendFailed as DeliveryError

__all__ = ["DeliveryError"]
