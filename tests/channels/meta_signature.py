"""``X-Hub-Signature-256`` as Meta computes it, written in the tests independently of the production helper.

Meta signs the raw request body with HMAC-SHA256 keyed by the app secret and sends ``sha256=<hex digest>``.
The known vector below was computed once with Python's ``hmac`` and checked with
``openssl dgst -sha256 -hmac``; it pins the algorithm so that the production verifier and this helper cannot
drift together.
"""
from __future__ import annotations

import hashlib
import hmac

KNOWN_SECRET = "known-vector-app-secret"
KNOWN_BODY = b'{"object":"whatsapp_business_account","entry":[]}'
KNOWN_SIGNATURE = "sha256=1672a44a2d69dd1108faabb9b7523ce3daef104b7b597ebf690976c08607edcc"


def meta_signature(raw: bytes, app_secret: str) -> str:
    """The header value Meta would send for ``raw`` signed with ``app_secret``."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
