"""Checking that a webhook request comes from the ESP: plain functions over bytes and strings (no Django).

Each check raises ``Refused`` with a short reason (stored in the audit, never shown to the caller).
Sources, per ESP:
- Mailgun: "Securing webhooks" (documentation.mailgun.com): ``signature`` = hex HMAC-SHA256 of
  ``timestamp + token`` keyed with the HTTP webhook signing key; check the timestamp is recent and never
  accept a token twice (the HMAC does not cover the body). Same computation as django-anymail's
  MailgunBaseWebhookView.validate_request.
- SendGrid: "Signed Event Webhook" (twilio.com docs): ECDSA P-256 / SHA-256 over ``timestamp + body``,
  headers X-Twilio-Email-Event-Webhook-Signature (base64 DER) and -Timestamp; the verification key is a
  base64 DER public key. Same as django-anymail's SendGrid view.
- Amazon SNS: "Verifying the signatures of Amazon SNS messages" (docs.aws.amazon.com/sns): the string to
  sign is name/value lines of Message, MessageId, Subject (if any), [SubscribeURL,] Timestamp, [Token,]
  TopicArn, Type, each followed by a newline; RSA PKCS#1 v1.5 with SHA1 (SignatureVersion 1) or SHA256
  (2); the certificate must come from an SNS URL (https://sns.<region>.amazonaws.com/…pem).
- Postmark: HTTP basic auth in the webhook URL (Postmark "Webhooks overview": no signature exists).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


class Refused(Exception):
    """The request is not proven to come from the ESP (403 and an audit entry)."""


# --- HTTP basic auth ---------------------------------------------------------------------------
def check_basic_auth(header: str | None, user: str, password: str) -> None:
    if not header or not header.startswith("Basic "):
        raise Refused("basic auth missing")
    try:
        given = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Refused("basic auth unreadable") from None
    given_user, _, given_password = given.partition(":")
    ok_user = hmac.compare_digest(given_user.encode(), user.encode())
    ok_password = hmac.compare_digest(given_password.encode(), password.encode())
    if not (ok_user and ok_password):
        raise Refused("basic auth wrong")


def check_timestamp(timestamp: Any, now: float, tolerance: int) -> int:
    try:
        value = int(float(str(timestamp)[:32]))
    except (TypeError, ValueError, OverflowError):  # "inf", "1e999" and "nan" are floats, not times
        raise Refused("timestamp unreadable") from None
    if abs(now - value) > tolerance:
        raise Refused(f"timestamp outside the {tolerance} s window (replay?)")
    return value


# --- Mailgun -----------------------------------------------------------------------------------
def mailgun_signature(key: str, timestamp: str, token: str) -> str:
    return hmac.new(key.encode("utf-8"), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def check_mailgun(payload: Any, key: str, now: float, tolerance: int) -> str:
    """Verify a JSON webhook's ``signature`` block; returns its token (never to be accepted again)."""
    block = payload.get("signature") if isinstance(payload, dict) else None
    if not isinstance(block, dict):
        raise Refused("Mailgun signature block missing")
    token, timestamp, signature = (str(block.get(k) or "") for k in ("token", "timestamp", "signature"))
    if not (token and timestamp and signature):
        raise Refused("Mailgun signature incomplete")
    if not key:
        raise Refused("no signing key configured")
    if not hmac.compare_digest(mailgun_signature(key, timestamp, token), signature):
        raise Refused("Mailgun signature wrong")
    check_timestamp(timestamp, now, tolerance)
    return token


# --- SendGrid ----------------------------------------------------------------------------------
def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """SendGrid's verification key: base64 DER as its settings page shows it, or a PEM block."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise Refused(f"verification key unreadable ({exc.__class__.__name__})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Refused("verification key is not an ECDSA key")
    return key


def check_sendgrid(body: bytes, signature: str | None, timestamp: str | None, key_text: str, now: float,
                   tolerance: int) -> None:
    if not signature or not timestamp:
        raise Refused("SendGrid signature headers missing")
    key = load_public_key(key_text)
    try:
        key.verify(base64.b64decode(signature), timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise Refused("SendGrid signature wrong") from None
    check_timestamp(timestamp, now, tolerance)


def sign_sendgrid(private_pem: str, timestamp: str, body: bytes) -> str:
    """What SendGrid sends (replay_webhook and tests sign with the replay endpoint's own key pair)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def new_sendgrid_keys() -> tuple[str, str]:
    """(private PEM, public key as SendGrid shows it: base64 DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


# --- Amazon SNS --------------------------------------------------------------------------------
_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SNS_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
# AWS: "the certificate should come from an SNS-signed URL" — sns.<region>.amazonaws.com (and .com.cn).
# \Z, not $ (which also matches before a final newline); no whitespace or control character in the path.
SNS_URL = re.compile(r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[^?#\s\x00-\x1f\x7f]+\Z")


def sns_string_to_sign(message: dict[str, Any]) -> bytes:
    fields = _NOTIFICATION_FIELDS if message.get("Type") == "Notification" else _CONFIRMATION_FIELDS
    lines = []
    for name in fields:
        value = message.get(name)
        if value is None:
            if name == "Subject":
                continue
            raise Refused(f"SNS message without {name}")
        lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode("utf-8")


def _sns_hash(message: dict[str, Any]) -> hashes.HashAlgorithm:
    version = str(message.get("SignatureVersion") or "")
    if version == "1":
        return hashes.SHA1()  # the algorithm SNS signs with under SignatureVersion 1
    if version == "2":
        return hashes.SHA256()
    raise Refused(f"SNS SignatureVersion {version[:10]!r} unknown")


def check_sns_envelope(message: dict[str, Any], allowed_topics: set[str]) -> None:
    """The checks that need no certificate: run before one is fetched, so that a stranger's message for a
    topic not allowed makes the server fetch nothing."""
    if message.get("Type") not in SNS_TYPES:
        raise Refused("not an SNS message")
    topic = message.get("TopicArn")
    if not isinstance(topic, str) or topic not in allowed_topics:  # a list or an object is no topic (unhashable)
        raise Refused(f"TopicArn {str(topic)[:120]!r} not allowed")


def check_sns(message: dict[str, Any], certificate_pem: bytes, allowed_topics: set[str]) -> None:
    """Verify an SNS message (any Type) against the signing certificate; refuse topics not allowed."""
    check_sns_envelope(message, allowed_topics)
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
    except (ValueError, binascii.Error):
        raise Refused("SNS signature or certificate unreadable") from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Refused("SNS certificate is not an RSA certificate")
    try:
        key.verify(signature, sns_string_to_sign(message), padding.PKCS1v15(), _sns_hash(message))
    except InvalidSignature:
        raise Refused("SNS signature wrong") from None


def sign_sns(message: dict[str, Any], private_pem: str) -> dict[str, Any]:
    """The message signed as SNS signs (SignatureVersion 2): replay_webhook and tests, with their own key."""
    signed = {**message, "SignatureVersion": "2"}
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    signature = key.sign(sns_string_to_sign(signed), padding.PKCS1v15(), hashes.SHA256())
    signed["Signature"] = base64.b64encode(signature).decode()
    return signed


def new_sns_certificate(common_name: str = "sns.replay.invalid") -> tuple[str, str]:
    """(private key PEM, self-signed certificate PEM): the trusted certificate of a replay or demo endpoint."""
    import datetime

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=3650)).sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return private, certificate.public_bytes(serialization.Encoding.PEM).decode()
