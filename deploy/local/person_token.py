"""`make token AS=<person>`: a token from `make run`'s development identity provider.

Prints the access token for <person> (an id from the catalog, or admin, agent,
reader); without a person, lists who can sign in. The provider is at
http://127.0.0.1:$BATON_DEVIDP_PORT (8090).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request

IDP = f"http://127.0.0.1:{os.environ.get('BATON_DEVIDP_PORT', '8090')}"


def call(path: str, body: dict[str, str] | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        IDP + path, data=data, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)


def main() -> int:
    person = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        if not person:
            for p in call("/people"):  # type: ignore[union-attr]
                print(f"{p['sub']:12} {p['name']:16} {p['note']}")
            print("make token AS=<one of the ids above>")
            return 0
        print(call("/dev/token", {"person": person})["access_token"])  # type: ignore[index]
        return 0
    except urllib.error.HTTPError as exc:
        print(f"no token for {person!r}: {json.load(exc).get('detail')}", file=sys.stderr)
    except OSError:
        print(f"no identity provider at {IDP}: is `make run` going?", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
