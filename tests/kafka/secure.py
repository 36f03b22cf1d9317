"""A real Kafka broker with a TLS + SASL listener, for tests of secured clusters.

The harness makes its own certificate authority and a broker certificate for 127.0.0.1
with the JDK's ``keytool`` (nothing else to install), and registers SCRAM-SHA-512 users
when it formats the log dir. The broker listens on:

* ``SASL_SSL`` (``bootstrap``): SCRAM-SHA-512, and OAUTHBEARER with Kafka's own unsecured
  JWT validator (so a client-side token callback can be tested without an identity server);
* ``PLAINTEXT`` (``plain_bootstrap``): for the test itself (topics, reading), never for the
  code under test.

    broker = SecureKafkaBroker(workdir, users={"agent": "s3cret"})
    broker.start()
    broker.client_config("agent", "s3cret")   # librdkafka properties for SASL_SSL
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path

from tests.kafka.broker import BrokerUnavailable, KafkaBroker, free_port

_STOREPASS = "harness-only"


def make_certificates(folder: Path) -> tuple[Path, Path]:
    """A CA (PEM, for clients) and a PKCS#12 keystore holding a CA-signed 127.0.0.1 cert."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_store, broker_store = folder / "ca.p12", folder / "broker.p12"
    ca_pem, csr, signed = folder / "ca.pem", folder / "broker.csr", folder / "broker.pem"
    for path in (ca_store, broker_store, ca_pem, csr, signed):
        path.unlink(missing_ok=True)

    def keytool(*args: str, stdin: bytes | None = None) -> bytes:
        proc = subprocess.run(
            ["keytool", *args], input=stdin, capture_output=True, timeout=120, check=False
        )
        if proc.returncode != 0:
            raise BrokerUnavailable(f"keytool {args[0]} failed: {proc.stderr.decode()}")
        return proc.stdout

    common = ["-storetype", "PKCS12", "-storepass", _STOREPASS, "-keyalg", "RSA", "-keysize"]
    keytool(
        "-genkeypair", "-alias", "ca", "-dname", "CN=otel-agents test CA", "-ext", "bc:c",
        "-validity", "2", "-keystore", str(ca_store), *common, "2048",
    )  # fmt: skip
    keytool(
        "-exportcert", "-rfc", "-alias", "ca", "-keystore", str(ca_store),
        "-storepass", _STOREPASS, "-file", str(ca_pem),
    )  # fmt: skip
    keytool(
        "-genkeypair", "-alias", "broker", "-dname", "CN=127.0.0.1", "-validity", "2",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keystore", str(broker_store), *common, "2048",
    )  # fmt: skip
    keytool(
        "-certreq", "-alias", "broker", "-keystore", str(broker_store),
        "-storepass", _STOREPASS, "-file", str(csr),
    )  # fmt: skip
    keytool(
        "-gencert", "-alias", "ca", "-keystore", str(ca_store), "-storepass", _STOREPASS,
        "-infile", str(csr), "-outfile", str(signed), "-rfc", "-validity", "2",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost",
    )  # fmt: skip
    keytool(
        "-importcert", "-noprompt", "-alias", "ca", "-file", str(ca_pem),
        "-keystore", str(broker_store), "-storepass", _STOREPASS,
    )  # fmt: skip
    keytool(
        "-importcert", "-alias", "broker", "-file", str(signed),
        "-keystore", str(broker_store), "-storepass", _STOREPASS,
    )  # fmt: skip
    return ca_pem, broker_store


def unsecured_jwt(subject: str, lifetime_s: int = 3600) -> tuple[str, float]:
    """An unsigned JWT that Kafka's default (unsecured) OAUTHBEARER validator accepts."""

    def b64(document: dict[str, object]) -> str:
        raw = json.dumps(document, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = time.time()
    expiry = now + lifetime_s
    token = f"{b64({'alg': 'none'})}.{b64({'sub': subject, 'iat': int(now), 'exp': int(expiry)})}."
    return token, expiry


class SecureKafkaBroker(KafkaBroker):
    """A single KRaft node with a SASL_SSL listener (SCRAM-SHA-512, OAUTHBEARER)."""

    def __init__(self, workdir: Path, users: dict[str, str], **kwargs: object) -> None:
        super().__init__(workdir, **kwargs)  # type: ignore[arg-type]
        self.users = dict(users)
        self.secure_port = free_port()
        while self.secure_port in (self.port, self.controller_port):
            self.secure_port = free_port()
        self.ca_pem, self._keystore = make_certificates(self.workdir / "tls")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.secure_port}"

    @property
    def plain_bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client_config(self, user: str, password: str) -> dict[str, str]:
        return {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": user,
            "sasl.password": password,
            "ssl.ca.location": str(self.ca_pem),
        }

    def _write_properties(self) -> Path:
        path = super()._write_properties()
        props = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        jaas_scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        jaas_oauth = (
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
            'unsecuredLoginStringClaim_sub="broker";'
        )
        props.update(
            {
                "listeners": (
                    f"PLAINTEXT://127.0.0.1:{self.port},"
                    f"SASL_SSL://127.0.0.1:{self.secure_port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}"
                ),
                "advertised.listeners": (
                    f"PLAINTEXT://127.0.0.1:{self.port},SASL_SSL://127.0.0.1:{self.secure_port}"
                ),
                "listener.security.protocol.map": (
                    "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL"
                ),
                "sasl.enabled.mechanisms": "SCRAM-SHA-512,OAUTHBEARER",
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": jaas_scram,
                "listener.name.sasl_ssl.oauthbearer.sasl.jaas.config": jaas_oauth,
                "ssl.keystore.type": "PKCS12",
                "ssl.keystore.location": str(self._keystore),
                "ssl.keystore.password": _STOREPASS,
                "ssl.key.password": _STOREPASS,
                "ssl.client.auth": "none",
            }
        )
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    def _format(self, props: Path) -> None:
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        scram = [
            arg
            for user, password in self.users.items()
            for arg in ("--add-scram", f"SCRAM-SHA-512=[name={user},password={password}]")
        ]
        proc = subprocess.run(
            self._java(
                "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props), *scram
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise BrokerUnavailable(f"kafka storage format failed:\n{proc.stdout}\n{proc.stderr}")
        self._formatted = True

    def _wait_ready(self, timeout: float) -> None:
        # The base class probes ``bootstrap``; probe the plaintext listener instead.
        secure = self.secure_port
        self.secure_port = self.port
        try:
            super()._wait_ready(timeout)
        finally:
            self.secure_port = secure


def oauth_token(_oauthbearer_config: str) -> tuple[str, float]:
    """``oauth_cb`` of the tests: ``OTEL_AGENTS_KAFKA_OAUTH_CB=tests.kafka.secure:oauth_token``."""
    return unsecured_jwt("agent")
