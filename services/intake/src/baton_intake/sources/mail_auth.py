"""Is a mail's sender who its ``From`` says? Only the company's mail gateway can
tell: it checked SPF, DKIM and DMARC when the mail arrived and wrote what it found
in an ``Authentication-Results`` header (RFC 8601) naming itself (its authserv-id).

A ``From`` in an internal domain makes an employee's request, so anyone could
claim one; Baton believes it only when the topmost such header of a trusted
authserv-id says dmarc=pass for that domain, or dkim=pass (``header.d``) or
spf=pass (``smtp.mailfrom``) for it. The topmost, because a header an outsider
wrote with the same id sits below the gateway's own (and a gateway that follows
RFC 8601 removes it anyway).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_COMMENT = re.compile(r"\([^()]*\)")


def _without_comments(value: str) -> str:
    for _ in range(5):  # nested comments, a few levels deep
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def parse(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """``(authserv-id, [(method, result, {property: value})])`` of one header."""
    parts = [p.strip() for p in _without_comments(value).split(";")]
    authserv_id = parts[0].split()[0].lower() if parts and parts[0].split() else ""
    results = []
    for part in parts[1:]:
        tokens = part.split()
        if not tokens or "=" not in tokens[0]:
            continue  # "none", or something this reader does not follow
        method, result = tokens[0].split("=", 1)
        props = {}
        for token in tokens[1:]:
            if "=" in token:
                name, prop = token.split("=", 1)
                props[name.lower()] = prop.strip('"').lower()
        results.append((method.lower().split("/")[0], result.lower(), props))
    return authserv_id, results


def _domain_of(value: str) -> str:
    return value.rsplit("@", 1)[-1].strip(".<>").lower()


def _aligned(found: str, domain: str) -> bool:
    """The domain itself or one of its subdomains (DMARC's relaxed alignment)."""
    found = _domain_of(found)
    return found == domain or found.endswith("." + domain)


def vouched_for(headers: Iterable[str], *, domain: str, trusted_ids: Iterable[str]) -> bool:
    """True when the topmost Authentication-Results of a trusted gateway says the
    mail really comes from ``domain``."""
    trusted = {t.lower() for t in trusted_ids}
    domain = domain.lower()
    for header in headers:  # topmost first, as the gateway prepended it
        authserv_id, results = parse(str(header))
        if authserv_id not in trusted:
            continue
        for method, result, props in results:
            if result != "pass":
                continue
            if method == "dmarc" and _aligned(props.get("header.from", ""), domain):
                return True
            if method == "dkim" and _aligned(props.get("header.d", ""), domain):
                return True
            if method == "spf" and _aligned(props.get("smtp.mailfrom", ""), domain):
                return True
        return False  # the gateway's word, and it did not vouch
    return False
