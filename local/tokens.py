"""A local stand-in for the Cognito user pool: an RSA key made at start, RS256 access tokens shaped
like Cognito's, checked the way API Gateway's JWT authorizer checks them, the claims flattened the
way it hands them to Lambda, the issuer's discovery documents (OpenID configuration, JWKS), and a
token endpoint that renews an access token with a refresh token, as Cognito's /oauth2/token does.

    issuer = TokenIssuer("http://127.0.0.1:8000/local-issuer")
    issuer.mint("admin")                      # a dev user: groups ["admins"]
    issuer.mint("bob", groups=["ops"])        # anyone else
    issuer.verify(token)                      # -> {"username": "bob", "cognito:groups": "[ops]", ...}
    issuer.dev_token("admin", lifetime=3600)  # {"access_token", "refresh_token", "expires_in", ...}

The issuer reads the time from `clock`: a test moves it forward to age a session (its tokens expire
as the authorizer sees them, its refresh tokens too) without waiting.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER_PATH = "/local-issuer"
CLIENT_ID = "jobdeck-local"  # the app client: the authorizer's audience, the tokens' client_id
LIFETIME = 12 * 3600  # a dev token's for the shell; the console asks for Cognito's 60 minutes
MIN_LIFETIME = 60
REFRESH_LIFETIME = 30 * 86400  # template.yaml's RefreshTokenValidity
CLOCK_SKEW = 60  # seconds an iat or nbf may lie in the future (clocks of issuer and gateway differ)
SCOPE = "openid email profile"  # what the console's app client asks Cognito for
DEV_USERS: dict[str, list[str]] = {"admin": ["admins"], "alice": []}
_SUB_NAMESPACE = uuid.UUID("6f1e3f52-3c55-4a57-9c1e-6b0d8f0a5e21")  # stable sub per username


class InvalidToken(Exception):
    """Why the authorizer refused a token (the caller gets 401 Unauthorized whatever the reason)."""


@dataclass(frozen=True)
class _Grant:
    """What a refresh token stands for: whose tokens, of which life, until when."""

    username: str
    groups: list[str] | None
    lifetime: int
    expires_at: float


class TokenIssuer:
    def __init__(self, issuer: str, client_id: str = CLIENT_ID, key: rsa.RSAPrivateKey | None = None) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode()
        self.clock: Callable[[], float] = time.time
        self._grants: dict[str, _Grant] = {}  # by refresh token

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
        now = int(self.clock() if issued_at is None else issued_at)
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
                # The times are checked below, on the issuer's clock.
                options={
                    "require": ["exp", "iss"],
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidTokenError as e:
            raise InvalidToken(str(e)) from e
        audience = claims.get("aud", claims.get("client_id"))
        if self.client_id not in (audience if isinstance(audience, list) else [audience]):
            raise InvalidToken("the token's audience is not the app client")
        now = self.clock()
        if not float(claims["exp"]) > now:
            raise InvalidToken("the token has expired")
        for name in ("nbf", "iat"):
            if name in claims and not float(claims[name]) <= now + CLOCK_SKEW:
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
            "token_endpoint": f"{self.issuer}/oauth2/token",
            "revocation_endpoint": f"{self.issuer}/oauth2/revoke",
            "grant_types_supported": ["refresh_token"],
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": SCOPE.split(),
            "claims_supported": ["sub", "iss", "username", "cognito:groups", "client_id", "token_use"],
        }

    def dev_token(
        self, username: str = "alice", groups: Iterable[str] | None = None, lifetime: int = LIFETIME
    ) -> dict[str, Any]:
        """Signing in without a password (local only): an access token and a refresh token, as
        Cognito's token endpoint answers a sign-in."""
        groups = None if groups is None else list(groups)
        refresh_token = secrets.token_urlsafe(32)
        self._grants[refresh_token] = _Grant(username, groups, lifetime, self.clock() + REFRESH_LIFETIME)
        token = self.mint(username, groups, lifetime=lifetime)
        return {"access_token": token, "refresh_token": refresh_token, "token_type": "Bearer", "expires_in": lifetime}

    def renew(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint's refresh grant, answered as Cognito's: `grant_type=refresh_token`,
        `client_id`, `refresh_token` give a new access token (the refresh token stays the same);
        a refresh token unknown, revoked or expired is a 400 `invalid_grant`."""
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client"}
        grant = self._grants.get(form.get("refresh_token", ""))
        if grant is None or grant.expires_at <= self.clock():
            return 400, {"error": "invalid_grant", "error_description": "Refresh Token has expired or was revoked"}
        token = self.mint(grant.username, grant.groups, lifetime=grant.lifetime)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": grant.lifetime}

    def revoke(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The revocation endpoint (Cognito's /oauth2/revoke): the refresh token no longer renews."""
        if form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client"}
        self._grants.pop(form.get("token", ""), None)
        return 200, {}

    def document(self, path: str, query: str = "") -> dict[str, Any] | None:
        """What the issuer serves to a GET at a URL path of its host: its discovery documents, and
        `dev-token?username=bob&groups=admins,ops&expires_in=3600` (no `groups`: the dev user's, or
        none; no `expires_in`, or one out of bounds: 12 hours)."""
        base = urlsplit(self.issuer).path
        if path == f"{base}/dev-token":
            params = parse_qs(query, keep_blank_values=True)
            groups = [g for g in ",".join(params["groups"]).split(",") if g] if "groups" in params else None
            asked = params.get("expires_in", [""])[0]
            lifetime = int(asked) if asked.isdigit() and MIN_LIFETIME <= int(asked) <= LIFETIME else LIFETIME
            return self.dev_token(params.get("username", ["alice"])[0], groups, lifetime)
        documents = {
            f"{base}/.well-known/openid-configuration": self.openid_configuration,
            f"{base}/.well-known/jwks.json": self.jwks,
        }
        serve = documents.get(path)
        return serve() if serve else None

    def answer(self, method: str, path: str, query: str, body: bytes) -> tuple[int, dict[str, Any]] | None:
        """The status and JSON the issuer answers a request with; None for a URL not its own. The
        token and revocation endpoints take a form (application/x-www-form-urlencoded) by POST."""
        base = urlsplit(self.issuer).path
        endpoints = {f"{base}/oauth2/token": self.renew, f"{base}/oauth2/revoke": self.revoke}
        if path in endpoints:
            if method != "POST":
                return 405, {"error": "invalid_request", "error_description": "POST a form"}
            form = {name: values[0] for name, values in parse_qs(body.decode(errors="replace")).items()}
            return endpoints[path](form)
        document = self.document(path, query) if method in ("GET", "HEAD") else None
        return None if document is None else (200, document)


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
