"""A real identity provider's key endpoint (JWKS over HTTP) and tokens signed
with its keys, for tests of BATON_AUTH_MODE=jwt."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://id.example.com/"
AUDIENCE = "baton"


class Jwks:
    """An identity provider's key endpoint: serves the public keys it holds."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                body = json.dumps(
                    {
                        "keys": [
                            jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key(), as_dict=True)
                            | {"kid": kid, "use": "sig", "alg": "RS256"}
                            for kid, k in jwks.keys.items()
                        ]
                    }
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"

    def add_key(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]


@contextmanager
def running_idp() -> Iterator[Jwks]:
    """An identity provider serving one key, ``k1``, until the block ends."""
    jwks = Jwks()
    jwks.add_key("k1")
    thread = threading.Thread(target=jwks.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield jwks
    finally:
        jwks.server.shutdown()
        jwks.server.server_close()


def jwt_settings(idp: Jwks, **more) -> dict:
    """Settings that make a service verify tokens from ``idp``."""
    return dict(
        auth_mode="jwt", auth_jwks_url=idp.url, auth_issuer=ISSUER, auth_audience=AUDIENCE, **more
    )


def token(idp: Jwks, *, kid: str = "k1", key=None, algorithm: str = "RS256", **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "fin-gita", "iat": now, "exp": now + 300}
    body.update(claims)
    return jwt.encode(
        {k: v for k, v in body.items() if v is not None},
        key if key is not None else idp.keys[kid],
        algorithm=algorithm,
        headers={"kid": kid},
    )
