"""The self-signed HTTPS certificate for ``start.sh --share``, made once and kept under the TuneX home.

Browsers give the camera only to secure pages (``https://``, or ``http://localhost``), so a phone on
the same Wi-Fi needs TuneX over HTTPS. The certificate names this machine's host name (and its
``.local`` name), ``localhost`` and every local-network address; it is made again, with a reason,
when it has expired (or expires within ``RENEW_BEFORE``) or does not name one of them (the laptop
joined another network). It is made with the ``cryptography`` package, not ``openssl``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tunex_core.paths import user_data_dir

CERTIFICATE_FOLDER_NAME = "share"
CERTIFICATE_FILE_NAME = "tunex-share-certificate.pem"
KEY_FILE_NAME = "tunex-share-key.pem"
# Browsers refuse server certificates valid for longer than 398 days (Safari); a year, renewed a week early.
VALIDITY = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=7)
ALWAYS_NAMED = ("localhost", "127.0.0.1", "::1")


class CertificateError(Exception):
    """The certificate cannot be made or kept (an unwritable folder); the message says where and why."""


@dataclass(frozen=True)
class ShareCertificate:
    """The certificate and key files, the names it covers, when it expires, and whether it was just made (why)."""

    certificate_path: Path
    key_path: Path
    names: tuple[str, ...]
    not_after: dt.datetime
    created: bool
    reason: str | None = None  # why a new one was made: "there was none", "it expired on …", "it did not name …"


def certificate_folder() -> Path:
    """Where the sharing certificate is kept: ``share/`` in the TuneX home (``TUNEX_HOME``)."""
    return user_data_dir() / CERTIFICATE_FOLDER_NAME


def required_names(host_names: list[str], addresses: list[str]) -> tuple[str, ...]:
    """Every name the certificate must cover: the host names, ``localhost``, loopback and the addresses."""
    return tuple(dict.fromkeys([*host_names, *addresses, *ALWAYS_NAMED]))


def certificate_names(certificate: x509.Certificate) -> tuple[str, ...]:
    """The DNS names and IP addresses in the certificate's subject alternative names."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return (*names.get_values_for_type(x509.DNSName),
            *(str(address) for address in names.get_values_for_type(x509.IPAddress)))


def read_certificate(path: Path) -> x509.Certificate:
    """The PEM certificate at ``path``; raises ``ValueError`` (or ``OSError``) when it cannot be read."""
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _reason_to_renew(folder: Path, names: tuple[str, ...], now: dt.datetime) -> str | None:
    """Why the kept certificate cannot be used (None: it can)."""
    certificate_path, key_path = folder / CERTIFICATE_FILE_NAME, folder / KEY_FILE_NAME
    if not certificate_path.exists() or not key_path.exists():
        return "there was none yet"
    try:
        certificate = read_certificate(certificate_path)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as error:
        return f"the kept one could not be read ({type(error).__name__})"
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():
        return "the kept key does not belong to the kept certificate"
    if certificate.not_valid_after_utc - RENEW_BEFORE <= now:
        expired = certificate.not_valid_after_utc <= now
        return f"it {'expired' if expired else 'expires'} on {certificate.not_valid_after_utc:%Y-%m-%d}"
    if certificate.not_valid_before_utc > now:
        return f"it is only valid from {certificate.not_valid_before_utc:%Y-%m-%d} (the clock moved back)"
    missing = [name for name in names if name not in certificate_names(certificate)]
    if missing:
        return f"it did not name {', '.join(missing)} (another network or host name)"
    return None


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` with permissions ``mode`` (a temporary file renamed over it)."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as output:
        output.write(data)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def create_certificate(folder: Path, names: tuple[str, ...], now: dt.datetime, reason: str | None) -> ShareCertificate:
    """Make a new key (EC P-256) and a self-signed certificate for ``names``, valid from now for ``VALIDITY``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"TuneX on {names[0]}"[:64]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TuneX (self-signed, for sharing)")])
    not_after = now + VALIDITY
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # a phone whose clock is a little behind
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_private(folder / KEY_FILE_NAME, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), 0o600)
        _write_private(folder / CERTIFICATE_FILE_NAME, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    except OSError as error:
        raise CertificateError(f"the certificate cannot be written in {folder}: "
                               f"{error.strerror or error}") from error
    return ShareCertificate(folder / CERTIFICATE_FILE_NAME, folder / KEY_FILE_NAME, names,
                            not_after.replace(microsecond=0), created=True, reason=reason)


def ensure_certificate(host_names: list[str], addresses: list[str], folder: Path | None = None,
                       now: dt.datetime | None = None) -> ShareCertificate:
    """The kept certificate when it is valid and names every host name and address; else a new one (with why).

    Raises ``CertificateError`` when a needed new one cannot be written.
    """
    folder = Path(folder) if folder is not None else certificate_folder()
    now = now or dt.datetime.now(dt.timezone.utc)
    names = required_names(host_names, addresses)
    reason = _reason_to_renew(folder, names, now)
    if reason is not None:
        return create_certificate(folder, names, now, reason)
    certificate = read_certificate(folder / CERTIFICATE_FILE_NAME)
    return ShareCertificate(folder / CERTIFICATE_FILE_NAME, folder / KEY_FILE_NAME, certificate_names(certificate),
                            certificate.not_valid_after_utc, created=False)
