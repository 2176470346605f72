#!/usr/bin/env python3
"""Writes N namespace requests of 3 apps each into DIR/specs/ (for benchmarks).

Each request has a web app (ingress from the ingress controller, egress to api), an api
(a Role rule, egress to a database CIDR) and a worker (egress to api and to an external
CIDR); web and api have hardened workloads.
"""
import sys
from pathlib import Path

TEMPLATE = """apiVersion: rampart.dev/v1alpha1
kind: NamespaceRequest
name: {name}
team: team-{team}
description: Generated benchmark namespace {i}.
labels: {{cost-center: cc-{i}, data-classification: internal}}
owners:
  admins: ["oidc:team-{team}-admins"]
  developers: ["oidc:team-{team}-devs"]
  viewers: ["oidc:support"]
apps:
  - name: web
    ports: [{{name: http, port: 8080}}]
    ingress:
      - fromNamespace: ingress-nginx
        podLabels: {{app.kubernetes.io/name: ingress-nginx}}
    egress:
      - toApp: api
        ports: [{{port: http}}]
    workload:
      image: registry.example.com/{name}/web@sha256:{digest}
  - name: api
    ports: [{{name: http, port: 8080}}, {{name: metrics, port: 9090}}]
    egress:
      - toCidr: 10.40.0.0/16
        ports: [{{port: 5432}}]
    rules:
      - apiGroups: [""]
        resources: [configmaps]
        verbs: [get, watch]
        resourceNames: [flags]
    workload:
      image: registry.example.com/{name}/api@sha256:{digest}
      replicas: 3
  - name: worker
    egress:
      - toApp: api
        ports: [{{port: http}}]
      - toCidr: 203.0.113.0/24
        ports: [{{port: 443}}]
"""

def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: gen_requests.py DIR N")
    specs = Path(sys.argv[1]) / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    for i in range(int(sys.argv[2])):
        name = f"ns-{i:05d}"
        digest = f"{i:064x}"
        (specs / f"{name}.yaml").write_text(TEMPLATE.format(name=name, team=i % 50, i=i, digest=digest))

if __name__ == "__main__":
    main()
