"""The sharing certificate: its names and expiry, kept while valid, made again (with why) when not."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization

from tunex_core.sharing.certificate import (
    CERTIFICATE_FILE_NAME,
    KEY_FILE_NAME,
    RENEW_BEFORE,
    VALIDITY,
    CertificateError,
    certificate_folder,
    certificate_names,
    ensure_certificate,
    read_certificate,
)

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.timezone.utc)
HOSTS = ["laptop", "laptop.local"]
ADDRESSES = ["192.168.1.20", "10.0.0.7"]


def test_a_new_certificate_names_the_host_the_addresses_and_localhost(tmp_path):
    made = ensure_certificate(HOSTS, ADDRESSES, folder=tmp_path, now=NOW)
    assert made.created and made.reason == "there was none yet"
    certificate = read_certificate(made.certificate_path)
    assert set(certificate_names(certificate)) == {"laptop", "laptop.local", "localhost", "192.168.1.20",
                                                   "10.0.0.7", "127.0.0.1", "::1"}
    assert certificate.not_valid_after_utc == NOW + VALIDITY
    assert certificate.not_valid_before_utc <= NOW
    assert certificate.issuer == certificate.subject  # self-signed
    key = serialization.load_pem_private_key(made.key_path.read_bytes(), password=None)
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()
    assert stat.S_IMODE(os.stat(made.key_path).st_mode) == 0o600


def test_a_valid_certificate_is_kept(tmp_path):
    first = ensure_certificate(HOSTS, ADDRESSES, folder=tmp_path, now=NOW)
    before = first.certificate_path.read_bytes()
    again = ensure_certificate(HOSTS, ADDRESSES[:1], folder=tmp_path, now=NOW + dt.timedelta(days=100))
    assert not again.created and again.reason is None
    assert again.certificate_path.read_bytes() == before


def test_an_expired_or_expiring_certificate_is_renewed_with_a_reason(tmp_path):
    ensure_certificate(HOSTS, ADDRESSES, folder=tmp_path, now=NOW)
    expiring = ensure_certificate(HOSTS, ADDRESSES, folder=tmp_path, now=NOW + VALIDITY - RENEW_BEFORE / 2)
    assert expiring.created and expiring.reason.startswith("it expires on")
    later = NOW + VALIDITY * 3
    expired = ensure_certificate(HOSTS, ADDRESSES, folder=tmp_path, now=later)
    assert expired.created and expired.reason.startswith("it expired on")
    assert read_certificate(expired.certificate_path).not_valid_after_utc == later + VALIDITY


def test_a_certificate_naming_other_addresses_is_renewed(tmp_path):
    ensure_certificate(HOSTS, ["192.168.1.20"], folder=tmp_path, now=NOW)
    moved = ensure_certificate(HOSTS, ["172.20.10.3"], folder=tmp_path, now=NOW)
    assert moved.created and "172.20.10.3" in moved.reason
    assert "172.20.10.3" in certificate_names(read_certificate(moved.certificate_path))


@pytest.mark.parametrize("damage", ["certificate", "key", "other key"])
def test_a_damaged_or_mismatched_pair_is_replaced(tmp_path, damage):
    ensure_certificate(HOSTS, ADDRESSES, folder=tmp_path, now=NOW)
    if damage == "certificate":
        (tmp_path / CERTIFICATE_FILE_NAME).write_text("not a certificate")
    elif damage == "key":
        (tmp_path / KEY_FILE_NAME).write_text("not a key")
    else:
        other = tmp_path / "other"
        ensure_certificate(HOSTS, ADDRESSES, folder=other, now=NOW)
        (tmp_path / KEY_FILE_NAME).write_bytes((other / KEY_FILE_NAME).read_bytes())
    replaced = ensure_certificate(HOSTS, ADDRESSES, folder=tmp_path, now=NOW)
    assert replaced.created and replaced.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_one_clear_error(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(CertificateError, match=r"cannot be written in .*locked"):
            ensure_certificate(HOSTS, ADDRESSES, folder=folder / "share", now=NOW)
    finally:
        folder.chmod(0o700)


def test_a_folder_that_is_a_file_is_one_clear_error(tmp_path):
    blocker = tmp_path / "share"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(CertificateError, match="cannot be written in"):
        ensure_certificate(HOSTS, ADDRESSES, folder=blocker, now=NOW)


def test_the_folder_is_under_the_tunex_home(monkeypatch, tmp_path):
    monkeypatch.setenv("TUNEX_HOME", str(tmp_path / "home"))
    assert certificate_folder() == tmp_path / "home" / "share"
