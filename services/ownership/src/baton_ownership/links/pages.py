"""The small HTML pages a signed link shows: no script, nothing remote, and
headers that keep the token out of referrers, caches and search engines."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}
_STYLE = "body{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}"


def page(title: str, *paragraphs: str, form_action: str | None = None, button: str = "",
         status: int = 200) -> HTMLResponse:  # fmt: skip
    """A page saying ``paragraphs`` (plain text, escaped here); with ``form_action``,
    a form whose one button POSTs there."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    if form_action is not None:
        body += (
            f'<form method="post" action="{escape(form_action)}">'
            f'<button type="submit">{escape(button)}</button></form>'
        )
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f'</title><meta name="viewport" content="width=device-width"><style>{_STYLE}</style>'
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)
