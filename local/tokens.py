"""A local stand-in for the Cognito user pool: an RSA key made at start, RS256 access tokens shaped
like Cognito's, checked the way API Gateway's JWT authorizer checks them, the claims flattened the
way it hands them to Lambda, and the issuer's discovery documents (OpenID configuration, JWKS).

    issuer = TokenIssuer("http://127.0.0.1:8000/local-issuer")
    issuer.mint("admin")                      # a dev user: groups ["admins"]
    issuer.mint("bob", groups=["ops"])        # anyone else
    issuer.verify(token)                      # -> {"username": "bob", "cognito:groups": "[ops]", ...}
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER_PATH = "/local-issuer"
CLIENT_ID = "jobdeck-local"  # the app client: the authorizer's audience, the tokens' client_id
LIFETIME = 12 * 3600
CLOCK_SKEW = 60  # seconds an iat or nbf may lie in the future (clocks of issuer and gateway differ)
SCOPE = "openid email profile"  # what the console's app client asks Cognito for
DEV_USERS: dict[str, list[str]] = {"admin": ["admins"], "alice": []}
_SUB_NAMESPACE = uuid.UUID("6f1e3f52-3c55-4a57-9c1e-6b0d8f0a5e21")  # stable sub per username


class InvalidToken(Exception):
    """Why the authorizer refused a token (the caller gets 401 Unauthorized whatever the reason)."""


class TokenIssuer:
    def __init__(self, issuer: str, client_id: str = CLIENT_ID, key: rsa.RSAPrivateKey | None = None) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode()

    # ------------------------------------------------------------------ minting
    def mint(
        self,
        username: str,
        groups: Iterable[str] | None = None,
        *,
        lifetime: int = LIFETIME,
        issued_at: float | None = None,
        **claims: Any,
    ) -> str:
        """An access token as Cognito issues it. `groups` defaults to the dev user's; keyword claims
        are added or replace the usual ones, None removes one (`iss=...`, `exp=None` for tests)."""
        now = int(time.time() if issued_at is None else issued_at)
        groups = list(DEV_USERS.get(username, []) if groups is None else groups)
        payload: dict[str, Any] = {
            "sub": str(uuid.uuid5(_SUB_NAMESPACE, username)),
            **({"cognito:groups": groups} if groups else {}),  # Cognito omits it for no group
            "iss": self.issuer,
            "version": 2,
            "client_id": self.client_id,
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": SCOPE,
            "auth_time": now,
            "exp": now + lifetime,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": username,
        }
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})

    def dev_tokens(self) -> dict[str, str]:
        return {username: self.mint(username) for username in DEV_USERS}

    # ------------------------------------------------------------------ verifying
    def verify(self, token: str) -> dict[str, str]:
        """The claims API Gateway passes to Lambda for a token its JWT authorizer accepts: key id
        and RSA signature, `iss`, `aud` (or `client_id` when there is no `aud`), `exp` in the
        future, `nbf` and `iat` not in the future. Raises InvalidToken otherwise."""
        try:
            if jwt.get_unverified_header(token).get("kid") != self.kid:
                raise InvalidToken("no key of the issuer matches the token's kid")
            claims = jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["RS256", "RS384", "RS512"],
                issuer=self.issuer,
                options={"require": ["exp", "iss"], "verify_aud": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError as e:
            raise InvalidToken(str(e)) from e
        audience = claims.get("aud", claims.get("client_id"))
        if self.client_id not in (audience if isinstance(audience, list) else [audience]):
            raise InvalidToken("the token's audience is not the app client")
        for name in ("nbf", "iat"):
            if name in claims and not float(claims[name]) <= time.time() + CLOCK_SKEW:
                raise InvalidToken(f"the token is not valid yet ({name})")
        return flatten_claims(claims)

    # ------------------------------------------------------------------ discovery
    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": SCOPE.split(),
            "claims_supported": ["sub", "iss", "username", "cognito:groups", "client_id", "token_use"],
        }

    def dev_token(self, username: str = "alice", groups: Iterable[str] | None = None) -> dict[str, Any]:
        """A token endpoint for the shell (local only; Cognito's is /oauth2/token on its domain)."""
        token = self.mint(username, groups)
        return {"access_token": token, "token_type": "Bearer", "expires_in": LIFETIME}

    def document(self, path: str, query: str = "") -> dict[str, Any] | None:
        """What the issuer serves at a URL path of its host: its discovery documents, and
        `dev-token?username=bob&groups=admins,ops` (no `groups`: the dev user's, or none)."""
        base = urlsplit(self.issuer).path
        if path == f"{base}/dev-token":
            params = parse_qs(query, keep_blank_values=True)
            groups = [g for g in ",".join(params["groups"]).split(",") if g] if "groups" in params else None
            return self.dev_token(params.get("username", ["alice"])[0], groups)
        documents = {
            f"{base}/.well-known/openid-configuration": self.openid_configuration,
            f"{base}/.well-known/jwks.json": self.jwks,
        }
        serve = documents.get(path)
        return serve() if serve else None


def signing_key(path: Path) -> rsa.RSAPrivateKey:
    """The issuer's key kept in a file (readable by its owner only), made there on first use: the
    tokens it signed stay valid across restarts of the stack, as Cognito's do."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} holds no RSA private key")
    return key


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway puts them in `requestContext.authorizer.jwt.claims`: every value a
    string, arrays as `[a b]` (space-separated in brackets), null claims left out."""
    return {name: _claim_text(value) for name, value in claims.items() if value is not None}


def _claim_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def token_scopes(claims: dict[str, str]) -> list[str]:
    """The scopes of a token from its flattened claims (`scope`, or `scp`)."""
    return (claims.get("scope") or claims.get("scp") or "").strip("[]").split()
