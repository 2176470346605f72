#!/usr/bin/env python3
"""The rotation benchmark's baseline: what a platform team writes without Rampart.

A plain sequential loop over the same N secrets as scripts/bench-rotate.sh (the keys of
gen_rotation_requests.py), with the same steps per secret and no Git:

  vault (hvac; VAULT_ADDR, VAULT_TOKEN): read the metadata, require check-and-set on the key
    the first time (as rampart does before its first write, so that no other writer can
    overwrite a version), read the current version, write a new password with
    check-and-set on that version, read the new version back.
  aws (boto3; AWS_ENDPOINT_URL, AWS_REGION, credentials): read AWSCURRENT, put the new value
    as AWSPENDING with a ClientRequestToken, read it back by VersionId, move AWSCURRENT
    onto it, remove AWSPENDING.

    bench_rotate_baseline.py N vault|aws

Prints "rotated SECRETS seconds rotations/s"; exits 1 on the first failure.
"""
import json
import os
import secrets
import string
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_rotation_requests import keys  # noqa: E402

# Rampart's default alphabet: RFC 3986 unreserved characters.
ALPHABET = string.ascii_letters + string.digits + "-_."


def password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(40))


def rotate_vault(client, key: str) -> None:
    kv = client.secrets.kv.v2
    meta = kv.read_secret_metadata(path=key, mount_point="secret")
    current = meta["data"]["current_version"]
    if not meta["data"]["cas_required"]:
        keep = max(meta["data"]["max_versions"] or 10, 5)
        kv.update_metadata(path=key, max_versions=keep, cas_required=True, mount_point="secret")
    data = kv.read_secret_version(
        path=key, version=current, mount_point="secret", raise_on_deleted_version=True
    )["data"]["data"]
    data["password"] = password()
    written = kv.create_or_update_secret(path=key, secret=data, cas=current, mount_point="secret")
    version = written["data"]["version"]
    back = kv.read_secret_version(
        path=key, version=version, mount_point="secret", raise_on_deleted_version=True
    )["data"]["data"]
    if back != data:
        raise RuntimeError(f"{key}: version {version} does not read back as written")


def rotate_aws(client, key: str) -> None:
    current = client.get_secret_value(SecretId=key, VersionStage="AWSCURRENT")
    data = json.loads(current["SecretString"])
    data["password"] = password()
    token = str(uuid.uuid4())
    client.put_secret_value(
        SecretId=key,
        ClientRequestToken=token,
        SecretString=json.dumps(data),
        VersionStages=["AWSPENDING"],
    )
    back = client.get_secret_value(SecretId=key, VersionId=token)
    if json.loads(back["SecretString"]) != data:
        raise RuntimeError(f"{key}: version {token} does not read back as written")
    client.update_secret_version_stage(
        SecretId=key,
        VersionStage="AWSCURRENT",
        MoveToVersionId=token,
        RemoveFromVersionId=current["VersionId"],
    )
    client.update_secret_version_stage(
        SecretId=key, VersionStage="AWSPENDING", RemoveFromVersionId=token
    )


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[2] not in ("vault", "aws"):
        sys.exit("usage: bench_rotate_baseline.py N vault|aws")
    n, backend = int(sys.argv[1]), sys.argv[2]
    if backend == "vault":
        import hvac

        client = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
        rotate = rotate_vault
    else:
        import boto3

        client = boto3.client("secretsmanager", region_name=os.environ.get("AWS_REGION"))
        rotate = rotate_aws
    started = time.monotonic()
    done = 0
    for _, _, key in keys(n):
        rotate(client, key)
        done += 1
    elapsed = time.monotonic() - started
    print(f"rotated {done} {elapsed:.2f} {done / max(elapsed, 0.001):.0f}")


if __name__ == "__main__":
    main()
