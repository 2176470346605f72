#!/usr/bin/env python3
"""The N secrets of the rotation benchmark (scripts/bench-rotate.sh): their requests, their
first version in the backend, and a check that each was rotated once.

    gen_rotation_requests.py write DIR N vault|aws   requests into DIR/specs/
    gen_rotation_requests.py seed N vault|aws        version 1 of every secret
    gen_rotation_requests.py verify N vault|aws      exit 1 unless every secret moved on once

10 secrets per namespace (app `api`), so N=1000 gives 100 namespaces. Every secret has
properties [username, password], a weekly schedule and `generate: {password: {length: 40}}`.
vault secrets are pinned to version 1; aws secrets to the VersionId the seeding asks moto
for (a ClientRequestToken derived from the key), so the requests can be written before the
server runs. seed and verify use hvac (VAULT_ADDR, VAULT_TOKEN) or boto3 (AWS_ENDPOINT_URL,
AWS_REGION, dummy credentials) from the .venv of tests/requirements.txt.
"""
import json
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PER_NAMESPACE = 10

HEADER = """apiVersion: rampart.dev/v1alpha1
kind: NamespaceRequest
name: {name}
team: team-{team}
description: Generated rotation benchmark namespace {i}.
labels: {{cost-center: cc-{i}, data-classification: internal}}
owners:
  admins: ["oidc:team-{team}-admins"]
  developers: ["oidc:team-{team}-devs"]
  viewers: ["oidc:support"]
apps:
  - name: api
    ports: [{{name: http, port: 8080}}]
    secrets:
"""

SECRET = """      - name: cred-{j}
        backend: {backend}
        remoteKey: {key}
        properties: [username, password]
        version: {version}
        rotation:
          schedule: "0 3 * * 1"
          generate:
            password: {{length: 40}}
"""


def namespace(i: int) -> str:
    return f"rot-{i:04d}"


def remote_key(i: int, j: int) -> str:
    return f"{namespace(i)}/api/cred-{j}"


def aws_version_id(key: str) -> str:
    """The VersionId the seeding asks moto for (ClientRequestToken): fixed per key."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rampart-bench/{key}"))


def keys(n: int):
    """(namespace index, secret index, remote key) of the N secrets, in request order."""
    for k in range(n):
        i, j = divmod(k, PER_NAMESPACE)
        yield i, j, remote_key(i, j)


def write(root: Path, n: int, backend: str) -> None:
    specs = root / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    texts: dict[int, str] = {}
    for i, j, key in keys(n):
        if i not in texts:
            texts[i] = HEADER.format(name=namespace(i), team=i % 50, i=i)
        version = 1 if backend == "vault" else aws_version_id(key)
        texts[i] += SECRET.format(j=j, backend=backend, key=key, version=version)
    for i, text in texts.items():
        (specs / f"{namespace(i)}.yaml").write_text(text)


def client(backend: str):
    if backend == "vault":
        import hvac

        return hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
    import boto3

    return boto3.client("secretsmanager", region_name=os.environ.get("AWS_REGION"))


def seed(n: int, backend: str) -> None:
    c = client(backend)

    def one(key: str) -> None:
        value = {"username": "app", "password": "initial-" + uuid.uuid4().hex}
        if backend == "vault":
            c.secrets.kv.v2.create_or_update_secret(path=key, secret=value, mount_point="secret")
        else:
            c.create_secret(
                Name=key, SecretString=json.dumps(value), ClientRequestToken=aws_version_id(key)
            )

    # Seeding is setup, not the measurement: a few threads keep it short (both clients are
    # thread-safe for independent requests).
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, [key for _, _, key in keys(n)]))


def verify(n: int, backend: str) -> None:
    c = client(backend)

    def moved(key: str) -> bool:
        if backend == "vault":
            meta = c.secrets.kv.v2.read_secret_metadata(path=key, mount_point="secret")
            return meta["data"]["current_version"] == 2
        current = c.describe_secret(SecretId=key)["VersionIdsToStages"]
        holder = [v for v, stages in current.items() if "AWSCURRENT" in stages]
        return holder != [aws_version_id(key)] and len(holder) == 1

    names = [key for _, _, key in keys(n)]
    with ThreadPoolExecutor(8) as pool:
        bad = [key for key, ok in zip(names, pool.map(moved, names)) if not ok]
    if bad:
        sys.exit(f"{len(bad)} of {n} secret(s) not rotated exactly once, e.g. {bad[0]}")


def main() -> None:
    usage = "usage: gen_rotation_requests.py write DIR N vault|aws | seed|verify N vault|aws"
    args = sys.argv[1:]
    if not args or args[-1] not in ("vault", "aws"):
        sys.exit(usage)
    if args[0] == "write" and len(args) == 4:
        write(Path(args[1]), int(args[2]), args[3])
    elif args[0] == "seed" and len(args) == 3:
        seed(int(args[1]), args[2])
    elif args[0] == "verify" and len(args) == 3:
        verify(int(args[1]), args[2])
    else:
        sys.exit(usage)


if __name__ == "__main__":
    main()
