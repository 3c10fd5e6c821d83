#!/usr/bin/env python3
"""A loopback stand-in for the Kubernetes API server, for tests that run the real kubectl.

No kube-apiserver can be had in the test environment, so the cluster commands (`diff`,
`doctor`) are tested with the real kubectl talking to this: plain HTTP on 127.0.0.1, a port
chosen by the system, standard library only. It serves

  * legacy discovery (/api, /apis, /api/v1, /apis/external-secrets.io/v1), which is what
    kubectl 1.35 falls back to when the server does not answer aggregated discovery;
  * the objects of the fixture files (JSON: one object, or a `List` as `kubectl get -o json`
    prints it), by name and as lists (namespaced or across namespaces, with equality label
    selectors `a=b,c=d`);
  * 404 NotFound as the API server words it, and 403 Forbidden (RBAC) for the resources given
    with --forbid RESOURCE (everywhere) or RESOURCE@NAMESPACE;
  * 405 for every method but GET: the tools under test only read (see --hang below). Every request is logged
    (one JSON line: method, path, status) to --log so a test can assert that.

  server.py --fixtures a.json [--fixtures b.json] [--without Kind/ns/name] [--forbid secrets@team-a]
            [--no-eso] [--hang] [--accept-writes] [--conflict secrets]
            [--kubeconfig PATH] [--log PATH] [--lifetime SECONDS]

--no-eso serves a cluster without External Secrets Operator (no external-secrets.io group).
--hang accepts every connection and never answers (an API server that hangs), to test timeouts.
--accept-writes answers apply requests instead of 405: a server-side apply (PATCH with
application/apply-patch+yaml) and a client-side create (POST) answer with the object sent, and
are logged with their content type, query and whether the object carried kubectl's
last-applied-configuration annotation; --conflict RESOURCE answers a server-side apply of that
resource with 409 Conflict naming another field manager, as the API server does (unless
the apply is forced).

Later fixture files replace objects of the same kind, namespace and name; --without drops one
(`Kind//name` for a cluster-scoped object). The port is printed on the first line of standard
output once the server listens; --kubeconfig writes a kubeconfig (context `standin`) for it.
The server stops by itself after --lifetime seconds (default 120), or when its standard input
is closed (the test that started it ended).
"""
import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ESO = "external-secrets.io"
SEALED = "bitnami.com"
# kind -> (group, version, resource, namespaced, short names)
KINDS = {
    "Namespace": ("", "v1", "namespaces", False, ["ns"]),
    "Secret": ("", "v1", "secrets", True, []),
    "ServiceAccount": ("", "v1", "serviceaccounts", True, ["sa"]),
    "Pod": ("", "v1", "pods", True, ["po"]),
    "ConfigMap": ("", "v1", "configmaps", True, ["cm"]),
    "ExternalSecret": (ESO, "v1", "externalsecrets", True, ["es"]),
    "SecretStore": (ESO, "v1", "secretstores", True, ["ss"]),
    "ClusterSecretStore": (ESO, "v1", "clustersecretstores", False, ["css"]),
    "SealedSecret": (SEALED, "v1alpha1", "sealedsecrets", True, []),
}
RESOURCES = {v[2]: k for k, v in KINDS.items()}
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]


def status(code, reason, message, details=None):
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return code, body


def load(files, without):
    objects = {}
    for path in files:
        with open(path) as f:
            doc = json.load(f)
        items = doc.get("items", []) if doc.get("kind", "").endswith("List") else [doc]
        for o in items:
            meta = o.get("metadata", {})
            objects[(o["kind"], meta.get("namespace", ""), meta["name"])] = o
    # Like a real cluster, every namespace an object lives in exists.
    for ns in {ns for (_, ns, _) in objects if ns}:
        objects.setdefault(
            ("Namespace", "", ns),
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}, "status": {"phase": "Active"}},
        )
    for w in without:
        kind, ns, name = w.split("/", 2)
        if objects.pop((kind, ns, name), None) is None:
            sys.exit(f"--without {w}: no such object in the fixtures")
    return objects


def resource_list(group_version, group):
    resources = []
    for kind, (g, v, plural, namespaced, short) in sorted(KINDS.items()):
        if g != group:
            continue
        resources.append(
            {
                "name": plural,
                "singularName": kind.lower(),
                "namespaced": namespaced,
                "kind": kind,
                "verbs": VERBS,
                "shortNames": short,
            }
        )
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


class Handler(BaseHTTPRequestHandler):
    server_version = "standin"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: requests go to --log
        pass

    def handle(self):
        if self.server.opts.hang:
            # Accepted, never answered: the connection stays open until the server stops.
            self.record_hang()
            self.server.stopped.wait(self.server.opts.lifetime)
            return
        super().handle()

    def record_hang(self):
        log = self.server.opts.log
        if log:
            with self.server.lock, open(log, "a") as f:
                f.write(json.dumps({"method": "HANG", "path": "", "status": 0}) + "\n")

    def record(self, code, **extra):
        log = self.server.opts.log
        if log:
            with self.server.lock, open(log, "a") as f:
                entry = {"method": self.command, "path": self.path, "status": code}
                entry.update(extra)
                f.write(json.dumps(entry) + "\n")

    def send(self, code, body, **extra):
        data = json.dumps(body).encode()
        self.record(code, **extra)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refuse(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send(*status(405, "MethodNotAllowed", "the stand-in API server is read-only"))

    do_PUT = do_DELETE = refuse

    def write(self):
        if not self.server.opts.accept_writes:
            return self.refuse()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        meta = body.setdefault("metadata", {})
        extra = {
            "content_type": ctype,
            "last_applied": "kubectl.kubernetes.io/last-applied-configuration"
            in (meta.get("annotations") or {}),
            "kind": body.get("kind", ""),
        }
        parts = [p for p in urlsplit(self.path).path.split("/") if p]
        plural = parts[-2] if self.command == "PATCH" and len(parts) >= 2 else parts[-1]
        forced = "force=true" in urlsplit(self.path).query
        if self.command == "PATCH" and plural in self.server.opts.conflict and not forced:
            manager = "kubectl-client-side-apply"
            field = ".data.OPENAI_API_KEY"
            return self.send(
                *status(
                    409,
                    "Conflict",
                    f'Apply failed with 1 conflict: conflict with "{manager}" using v1: {field}',
                    {
                        "causes": [
                            {
                                "reason": "FieldManagerConflict",
                                "message": f'conflict with "{manager}" using v1',
                                "field": field,
                            }
                        ]
                    },
                ),
                **extra,
            )
        meta.setdefault("uid", "standin-uid")
        meta.setdefault("resourceVersion", "1")
        self.send(201 if self.command == "POST" else 200, body, **extra)

    do_POST = do_PATCH = write

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        parts = [p for p in url.path.split("/") if p]
        self.send(*self.route(parts, query))

    def openapi(self, parts):
        """OpenAPI v3, just enough for kubectl to see that every PATCH takes the
        `fieldValidation` query parameter (so it validates on the server, as with a real
        API server, and needs no schema)."""
        gvs = sorted({("api/v1" if not g else f"apis/{g}/{v}") for (g, v, _, _, _) in KINDS.values()})
        if parts == ["openapi", "v3"]:
            return 200, {"paths": {gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash=standin"} for gv in gvs}}
        gv = "/".join(parts[2:])
        if gv not in gvs:
            return status(404, "NotFound", "the server could not find the requested resource")
        paths = {}
        for kind, (g, v, plural, namespaced, _) in KINDS.items():
            if ("api/v1" if not g else f"apis/{g}/{v}") != gv:
                continue
            where = "/namespaces/{namespace}" if namespaced else ""
            paths[f"/{gv}{where}/{plural}/{{name}}"] = {
                "patch": {
                    "x-kubernetes-group-version-kind": {"group": g, "version": v, "kind": kind},
                    "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                    "responses": {},
                }
            }
        return 200, {"openapi": "3.0.0", "info": {"title": "standin", "version": "v1.35.0"}, "paths": paths}

    def route(self, parts, query):
        if parts[:2] == ["openapi", "v3"]:
            return self.openapi(parts)
        if parts == ["version"]:
            return 200, {"major": "1", "minor": "35", "gitVersion": "v1.35.0-standin", "platform": "linux/amd64"}
        if parts == ["api"]:
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if self.server.opts.no_eso and parts[:2] == ["apis", ESO]:
            return status(404, "NotFound", "the server could not find the requested resource")
        groups = {g: v for (g, v, _, _, _) in KINDS.values() if g and not (g == ESO and self.server.opts.no_eso)}
        if parts == ["apis"]:
            listed = []
            for g, v in sorted(groups.items()):
                gv = {"groupVersion": f"{g}/{v}", "version": v}
                listed.append({"name": g, "versions": [gv], "preferredVersion": gv})
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": listed}
        if parts == ["api", "v1"]:
            return 200, resource_list("v1", "")
        if len(parts) == 3 and parts[0] == "apis" and groups.get(parts[1]) == parts[2]:
            return 200, resource_list(f"{parts[1]}/{parts[2]}", parts[1])
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis" and groups.get(parts[1]) == parts[2]:
            group, rest = parts[1], parts[3:]
        else:
            return status(404, "NotFound", "the server could not find the requested resource")
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if len(rest) not in (1, 2) or rest[0] not in RESOURCES:
            if namespace is not None and not rest and group == "":
                rest = ["namespaces", namespace]  # GET /api/v1/namespaces/NAME
                namespace = None
            else:
                return status(404, "NotFound", "the server could not find the requested resource")
        plural = rest[0]
        kind = RESOURCES[plural]
        if KINDS[kind][0] != group:
            return status(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) == 2 else None
        where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        if self.forbidden(plural, namespace):
            verb = "get" if name else "list"
            target = f'{plural} "{name}"' if name else plural
            return status(
                403,
                "Forbidden",
                f'{target} is forbidden: User "standin-user" cannot {verb} resource "{plural}" '
                f'in API group "{group}"{where}',
                {"name": name or "", "group": group, "kind": plural},
            )
        if name is not None:
            o = self.server.objects.get((kind, namespace or "", name))
            if o is None:
                return status(
                    404, "NotFound", f'{plural}{"." + group if group else ""} "{name}" not found',
                    {"name": name, "group": group, "kind": plural},
                )
            return 200, o
        selector = {}
        for term in ",".join(query.get("labelSelector", [])).split(","):
            if "=" in term:
                k, v = term.split("=", 1)
                selector[k.rstrip("=")] = v.lstrip("=")
        items = [
            o
            for (k, ns, _), o in sorted(self.server.objects.items())
            if k == kind
            and (namespace is None or ns == namespace)
            and all(o.get("metadata", {}).get("labels", {}).get(a) == b for a, b in selector.items())
        ]
        return 200, {
            "kind": f"{kind}List",
            "apiVersion": f"{group}/{KINDS[kind][1]}" if group else "v1",
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }

    def forbidden(self, plural, namespace):
        for f in self.server.opts.forbid:
            res, _, ns = f.partition("@")
            if res == plural and (not ns or ns == namespace):
                return True
        return False


def kubeconfig(port):
    server = f"http://127.0.0.1:{port}"
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: standin\n  cluster:\n    server: {server}\n"
        "users:\n- name: standin-user\n  user:\n    token: standin-token\n"
        "contexts:\n- name: standin\n  context:\n    cluster: standin\n    user: standin-user\n"
        "current-context: standin\n"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fixtures", action="append", default=[])
    p.add_argument("--without", action="append", default=[])
    p.add_argument("--forbid", action="append", default=[])
    p.add_argument("--no-eso", action="store_true")
    p.add_argument("--hang", action="store_true")
    p.add_argument("--accept-writes", action="store_true")
    p.add_argument("--conflict", action="append", default=[])
    p.add_argument("--kubeconfig")
    p.add_argument("--log")
    p.add_argument("--lifetime", type=float, default=120)
    opts = p.parse_args()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.opts = opts
    httpd.objects = load(opts.fixtures, opts.without)
    httpd.lock = threading.Lock()
    httpd.stopped = threading.Event()
    port = httpd.server_address[1]
    if opts.kubeconfig:
        fd = os.open(opts.kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(kubeconfig(port))
    def stop_all():
        httpd.stopped.set()
        httpd.shutdown()

    stop = threading.Timer(opts.lifetime, stop_all)
    stop.daemon = True
    stop.start()

    def watch_stdin():
        try:
            sys.stdin.read()
        finally:
            httpd.stopped.set()
            httpd.shutdown()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(port, flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
