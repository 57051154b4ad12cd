"""The field deployment's own X.509 certificates: a certificate authority, the broker's server
certificate and a client certificate per node (and for the bridge), written as PEM files of mode 600.

Keys are ECDSA P-256 (fast on a Pi, accepted by Mosquitto and Python's ssl). A client certificate's
common name is the MQTT user name: Mosquitto's ``use_identity_as_username`` takes it from there.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lalert_sim.errors import shown
from lalert_sim.hil.broker import write_private

CA_VALID_DAYS = 3650
"""The authority outlives many drills; losing its key means re-provisioning every node."""
LEAF_VALID_DAYS = 825
"""Broker and node certificates: the longest validity common TLS clients accept for a server."""


@dataclass(frozen=True)
class IssuedFiles:
    """A certificate and its private key on disk."""

    cert: Path
    key: Path


class CertificateAuthority:
    """A self-signed authority that signs the broker's and the nodes' certificates."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
        self.key, self.cert = key, cert

    @classmethod
    def create(cls, name: str = "lalert-sim field CA") -> CertificateAuthority:
        """A new authority with a fresh key."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        public = key.public_key()
        builder = (
            _builder(subject, subject, public, CA_VALID_DAYS)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        )
        return cls(key, builder.sign(key, hashes.SHA256()))

    @classmethod
    def load(cls, cert_path: Path, key_path: Path) -> CertificateAuthority:
        """An authority written by ``save``; ValueError names the file that is not one."""
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{key_path}: not the authority's key (an unencrypted PEM private key): {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path}: not an EC private key")
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except ValueError as exc:
            raise ValueError(f"{cert_path}: not the authority's certificate (PEM): {exc}") from None
        if cert.public_key() != key.public_key():
            raise ValueError(f"{cert_path} and {key_path}: the certificate is not that key's")
        return cls(key, cert)

    @classmethod
    def load_or_create(cls, cert_path: Path, key_path: Path) -> CertificateAuthority:
        """The authority already at these paths (a re-run keeps it, so issued certificates stay valid), or a new one."""
        if cert_path.exists() and key_path.exists():
            return cls.load(cert_path, key_path)
        if cert_path.exists() or key_path.exists():
            missing = key_path if cert_path.exists() else cert_path
            raise ValueError(
                f"{missing} is missing: put it back, or remove {cert_path.parent} for a new authority "
                "(every node then needs its files again)"
            )
        authority = cls.create()
        authority.save(cert_path, key_path)
        return authority

    def save(self, cert_path: Path, key_path: Path) -> None:
        """Write the certificate and the key (both mode 600)."""
        write_pem(cert_path, self.cert.public_bytes(serialization.Encoding.PEM))
        write_pem(key_path, _key_pem(self.key))

    def cert_pem(self) -> bytes:
        """The authority's certificate: what every party trusts."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue_server(self, cert_path: Path, key_path: Path, hosts: list[str]) -> IssuedFiles:
        """The broker's certificate, valid for ``hosts`` (names and IP addresses, see ``host_name``) and
        always for loopback."""
        names: list[x509.GeneralName] = []
        for host in dict.fromkeys([*hosts, "localhost", "127.0.0.1"]):
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        extensions: list[x509.ExtensionType] = [
            x509.SubjectAlternativeName(names),
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
        ]
        return self._issue(cert_path, key_path, "lalert-sim broker", extensions)  # names: in the SAN only

    def issue_client(self, cert_path: Path, key_path: Path, user: str) -> IssuedFiles:
        """A client certificate whose common name is the MQTT user ``user`` (a node id or the bridge)."""
        return self._issue(cert_path, key_path, user, [x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])])

    def _issue(self, cert_path: Path, key_path: Path, name: str, extensions: list[x509.ExtensionType]) -> IssuedFiles:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (
            _builder(subject, self.cert.subject, key.public_key(), LEAF_VALID_DAYS)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        write_pem(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        write_pem(key_path, _key_pem(key))
        return IssuedFiles(cert_path, key_path)


def host_name(text: str, what: str = "host") -> str:
    """``text`` as a certificate names a host: an IP address, or a DNS name in ASCII (an
    internationalised name as its A-labels); ValueError says why it is neither."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    try:
        name = text.encode("idna").decode("ascii").rstrip(".").lower()
    except UnicodeError:
        raise ValueError(f"{what} {shown(text)}: not a host name or IP address") from None
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{what} {shown(text)}: not a host name or IP address (letters, digits, '-' between dots)")
    return name


_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def write_pem(path: Path, data: bytes) -> None:
    """Write a PEM file readable by its owner only (mode 600), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, data.decode("ascii"))


def _builder(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))  # a node whose clock is a little behind
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
