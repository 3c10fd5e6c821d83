#!/usr/bin/env python3
"""An independent Sealed Secrets controller stand-in for the tests, written from the format
of bitnami-labs/sealed-secrets (pkg/crypto HybridDecrypt, SealedSecret.Unseal) with Python's
`cryptography`, sharing no code with recif-secrets.

  sealed.py keygen DIR [--expired] [--bits N]  writes DIR/key.pem and DIR/cert.pem (self-signed)
  sealed.py unseal KEY.pem < stream            prints one JSON Secret per SealedSecret, as the
                                               controller would create it; exit 1 (naming the
                                               object and key) when a value does not unseal
"""
import base64
import datetime
import json
import os
import struct
import sys

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

NS_WIDE = "sealedsecrets.bitnami.com/namespace-wide"
CLUSTER_WIDE = "sealedsecrets.bitnami.com/cluster-wide"


def keygen(folder, expired, bits):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        start, end = now - datetime.timedelta(days=20), now - datetime.timedelta(days=10)
    else:
        start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=3650)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    with open(os.path.join(folder, "key.pem"), "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(os.path.join(folder, "cert.pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def label_for(meta):
    """The RSA-OAEP label, from the SealedSecret's own metadata (as Unseal does)."""
    annotations = meta.get("annotations") or {}
    if annotations.get(CLUSTER_WIDE) == "true":
        return b""
    if annotations.get(NS_WIDE) == "true":
        return meta["namespace"].encode()
    return f"{meta['namespace']}/{meta['name']}".encode()


def hybrid_decrypt(key, blob, label):
    if len(blob) < 2:
        raise ValueError("too short")
    (rsa_len,) = struct.unpack(">H", blob[:2])
    if len(blob) < rsa_len + 2:
        raise ValueError("too short")
    session = key.decrypt(
        blob[2 : 2 + rsa_len],
        padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label),
    )
    return AESGCM(session).decrypt(b"\0" * 12, blob[2 + rsa_len :], None)


def unseal(key_path):
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    failed = False
    for doc in yaml.safe_load_all(sys.stdin):
        if not doc or doc.get("kind") != "SealedSecret":
            continue
        assert doc["apiVersion"] == "bitnami.com/v1alpha1", doc["apiVersion"]
        meta = doc["metadata"]
        template = doc["spec"].get("template") or {}
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": dict(template.get("metadata") or {})}
        secret["metadata"]["namespace"] = meta["namespace"]
        secret["metadata"]["name"] = meta["name"]
        for field in ("type", "immutable"):
            if field in template:
                secret[field] = template[field]
        label = label_for(meta)
        data = {}
        for k, v in doc["spec"]["encryptedData"].items():
            try:
                plain = hybrid_decrypt(key, base64.b64decode(v, validate=True), label)
            except Exception as e:  # noqa: BLE001 - any failure is a failure to unseal
                print(f"{meta['namespace']}/{meta['name']}: {k}: cannot unseal ({type(e).__name__})", file=sys.stderr)
                failed = True
                continue
            data[k] = base64.b64encode(plain).decode()
        secret["data"] = data
        print(json.dumps(secret, sort_keys=True))
    sys.exit(1 if failed else 0)


def main():
    args = sys.argv[1:]
    if args and args[0] == "keygen":
        bits = 2048
        if "--bits" in args:
            bits = int(args[args.index("--bits") + 1])
        keygen(args[1], "--expired" in args, bits)
    elif args and args[0] == "unseal":
        unseal(args[1])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
