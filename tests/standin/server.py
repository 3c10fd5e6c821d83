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
  * the apps/v1 workloads (Deployment, StatefulSet, DaemonSet), batch/v1 CronJob and Argo
    Rollouts (argoproj.io/v1alpha1 Rollout), with field selectors `metadata.name=X`;
  * PATCH as kubectl sends it (strategic merge, JSON merge, JSON patch, server-side apply) and
    POST (create), applied to the recorded objects: the resourceVersion is bumped, a
    managedFields entry (the fieldManager, the time) is written, and a workload whose pod
    template changed gets a new generation and, at once, the status of a finished rollout
    (observedGeneration, updatedReplicas, readyReplicas, availableReplicas, conditions) and
    new pods (the pods its matchLabels select start again, now);
    --stuck Kind/ns/name leaves that workload's new rollout never ready (one replica updated,
    none ready), as a crash-looping pod would;
  * watches (`?watch=true`, as `kubectl rollout status` opens them): events for the objects
    that change while the watch is open, until its timeoutSeconds;
  * 405 for PUT and DELETE. Every request is logged (one JSON line: method, path, status,
    and for writes the content type and the body exactly as sent) to --log so a test can
    assert which objects were written with what.

  server.py --fixtures a.json [--fixtures b.json] [--without Kind/ns/name] [--forbid secrets@team-a]
            [--forbid patch:deployments@team-a] [--stuck Deployment/ns/name] [--no-eso]
            [--no-argo] [--hang] [--conflict RESOURCE] [--kubeconfig PATH] [--log PATH]
            [--lifetime SECONDS]

--hang accepts every connection and never answers (an API server that hangs), for timeouts.
--no-openapi serves no OpenAPI document (kubectl's validation then cannot run).
--conflict RESOURCE answers a server-side apply of that resource with 409 Conflict naming
another field manager, as the API server does (unless the apply is forced).

--no-eso serves a cluster without External Secrets Operator (no external-secrets.io group),
--no-argo one without Argo Rollouts. --forbid RESOURCE forbids every verb; VERB:RESOURCE (get,
list, watch, patch, create) only that one, as a Role granting the others would.

Later fixture files replace objects of the same kind, namespace and name; --without drops one
(`Kind//name` for a cluster-scoped object). The port is printed on the first line of standard
output once the server listens; --kubeconfig writes a kubeconfig (context `standin`) for it.
The server stops by itself after --lifetime seconds (default 120), or when its standard input
is closed (the test that started it ended).
"""
import argparse
import copy
import datetime
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ESO = "external-secrets.io"
ARGO = "argoproj.io"
# group -> version served
SEALED = "bitnami.com"
# The Workload Identity operators (Config Connector, ACK, Azure Service Operator): served only
# when a fixture holds an object of theirs, as a cluster has them only with the operator.
CNRM, ACK_EKS, ACK_IAM, ASO = "iam.cnrm.cloud.google.com", "eks.services.k8s.aws", "iam.services.k8s.aws", "managedidentity.azure.com"
OPERATOR_GROUPS = {CNRM: "v1beta1", ACK_EKS: "v1alpha1", ACK_IAM: "v1alpha1", ASO: "v1api20230131"}
GROUPS = {ESO: "v1", "apps": "v1", "batch": "v1", ARGO: "v1alpha1", SEALED: "v1alpha1"}
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
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
    "IAMServiceAccount": (CNRM, "v1beta1", "iamserviceaccounts", True, []),
    "IAMPolicyMember": (CNRM, "v1beta1", "iampolicymembers", True, []),
    "PodIdentityAssociation": (ACK_EKS, "v1alpha1", "podidentityassociations", True, []),
    "Role": (ACK_IAM, "v1alpha1", "roles", True, []),
    "UserAssignedIdentity": (ASO, "v1api20230131", "userassignedidentities", True, []),
    "FederatedIdentityCredential": (ASO, "v1api20230131", "federatedidentitycredentials", True, []),
    "Deployment": ("apps", "v1", "deployments", True, ["deploy"]),
    "StatefulSet": ("apps", "v1", "statefulsets", True, ["sts"]),
    "DaemonSet": ("apps", "v1", "daemonsets", True, ["ds"]),
    "ReplicaSet": ("apps", "v1", "replicasets", True, ["rs"]),
    "CronJob": ("batch", "v1", "cronjobs", True, ["cj"]),
    "Rollout": (ARGO, "v1alpha1", "rollouts", True, ["ro"]),
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


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch (also the map part of a strategic merge patch)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):  # strategic-merge directives ($patch, $setElementOrder/...)
            continue
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(target, ops):
    """RFC 6902 JSON patch: add, replace, remove, test."""
    doc = copy.deepcopy(target)
    for op in ops:
        path = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in path[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent.setdefault(p, {})
        last = path[-1]
        if op["op"] in ("add", "replace"):
            if isinstance(parent, list):
                i = len(parent) if last == "-" else int(last)
                if op["op"] == "add":
                    parent.insert(i, op["value"])
                else:
                    parent[i] = op["value"]
            else:
                parent[last] = op["value"]
        elif op["op"] == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif op["op"] == "test":
            if (parent[int(last)] if isinstance(parent, list) else parent.get(last)) != op["value"]:
                raise ValueError(f"test failed at {op['path']}")
    return doc


def server_side_apply(current, body):
    """Server-side apply, as far as the stand-in needs: what the body sets replaces what the
    object had (labels and annotations key by key)."""
    if current is None:
        return copy.deepcopy(body)
    out = copy.deepcopy(current)
    for k, v in body.items():
        if k == "metadata":
            for mk, mv in v.items():
                if mk in ("labels", "annotations"):
                    out["metadata"].setdefault(mk, {}).update(mv)
                else:
                    out["metadata"][mk] = mv
        else:
            out[k] = copy.deepcopy(v)
    return out


def settle(o, stuck):
    """The status of a workload once the controller has rolled out its current generation:
    finished, or (stuck) never ready: one replica updated, none ready."""
    kind, meta, spec = o["kind"], o["metadata"], o.get("spec", {})
    st = o.setdefault("status", {})
    gen = meta.get("generation", 1)
    st["observedGeneration"] = gen
    if kind == "DaemonSet":
        n = st.get("desiredNumberScheduled", 1)
        st.update(
            desiredNumberScheduled=n,
            currentNumberScheduled=n,
            updatedNumberScheduled=min(1, n) if stuck else n,
            numberReady=0 if stuck else n,
            numberAvailable=0 if stuck else n,
        )
        if stuck:
            st["numberUnavailable"] = n
        else:
            st.pop("numberUnavailable", None)
        return
    n = spec.get("replicas", 1)
    st.update(
        replicas=n,
        updatedReplicas=min(1, n) if stuck else n,
        readyReplicas=0 if stuck else n,
        availableReplicas=0 if stuck else n,
    )
    if stuck:
        st["unavailableReplicas"] = n
    else:
        st.pop("unavailableReplicas", None)
    if kind == "StatefulSet":
        st["updateRevision"] = f"{meta['name']}-{gen}"
        if not stuck:
            st["currentRevision"] = st["updateRevision"]
            st["currentReplicas"] = n
    if kind == "Deployment":
        t = now()
        st["conditions"] = [
            {"type": "Available", "status": "False" if stuck else "True",
             "reason": "MinimumReplicasUnavailable" if stuck else "MinimumReplicasAvailable",
             "message": "Deployment does not have minimum availability." if stuck
             else "Deployment has minimum availability.",
             "lastTransitionTime": t, "lastUpdateTime": t},
            {"type": "Progressing", "status": "True",
             "reason": "ReplicaSetUpdated" if stuck else "NewReplicaSetAvailable",
             "message": f'ReplicaSet "{meta["name"]}-{gen}" is progressing.' if stuck
             else f'ReplicaSet "{meta["name"]}-{gen}" has successfully progressed.',
             "lastTransitionTime": t, "lastUpdateTime": t},
        ]


def openapi_v3(group, version):
    """The OpenAPI v3 document of one group version, as far as kubectl reads it: the PATCH
    operation of every resource, tagged with its kind and taking the fieldValidation query
    parameter (so kubectl validates on the server, `fieldValidation=Strict`, and needs no
    schemas)."""
    paths = {}
    prefix = f"/apis/{group}/{version}" if group else "/api/v1"
    for kind, (g, v, plural, namespaced, _) in sorted(KINDS.items()):
        if g != group:
            continue
        path = f"{prefix}/namespaces/{{namespace}}/{plural}/{{name}}" if namespaced else f"{prefix}/{plural}/{{name}}"
        paths[path] = {
            "patch": {
                "operationId": f"patch{kind}",
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": g, "version": v, "kind": kind},
            }
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.35.0-standin"}, "paths": paths}


NOT_FOUND = status(404, "NotFound", "the server could not find the requested resource")


class Handler(BaseHTTPRequestHandler):
    server_version = "standin"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: requests go to --log
        pass

    def handle(self):
        if self.server.opts.hang:
            # --hang: accepted, never answered; the connection stays open until the server stops.
            log = self.server.opts.log
            if log:
                with self.server.lock, open(log, "a") as f:
                    f.write(json.dumps({"method": "HANG", "path": "", "status": 0}) + "\n")
            self.server.stopped.wait(self.server.opts.lifetime)
            return
        super().handle()

    def record(self, code, write=None):
        log = self.server.opts.log
        if log:
            entry = {"method": self.command, "path": self.path, "status": code}
            if write is not None:
                entry["contentType"], entry["body"] = write
                # The same, as the apply tests read them.
                body = write[1] if isinstance(write[1], dict) else {}
                entry["content_type"] = write[0]
                entry["kind"] = body.get("kind", "")
                entry["last_applied"] = "kubectl.kubernetes.io/last-applied-configuration" in (
                    (body.get("metadata") or {}).get("annotations") or {}
                )
            with self.server.lock, open(log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def send(self, code, body, write=None):
        data = json.dumps(body).encode()
        self.record(code, write)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def refuse(self):
        self.body()
        self.send(*status(405, "MethodNotAllowed", "the stand-in API server does not serve this method"))

    do_PUT = do_DELETE = refuse

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        parts = [p for p in url.path.split("/") if p]
        if query.get("watch", [""])[0] in ("true", "1"):
            target = self.target(parts, "watch")
            if isinstance(target[0], int):
                return self.send(*target)
            return self.watch(target, query)
        self.send(*self.route(parts, query))

    def do_PATCH(self):
        self.write("patch")

    def do_POST(self):
        self.write("create")

    def groups(self):
        opts = self.server.opts
        served = {g: v for g, v in GROUPS.items() if not (g == ESO and opts.no_eso) and not (g == ARGO and opts.no_argo)}
        held = {KINDS[k][0] for (k, _, _) in self.server.objects if k in KINDS}
        served.update({g: v for g, v in OPERATOR_GROUPS.items() if g in held})
        return served

    def target(self, parts, verb):
        """(kind, namespace, name, group) for a resource path, or an error (code, body)."""
        groups = self.groups()
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis" and groups.get(parts[1]) == parts[2]:
            group, rest = parts[1], parts[3:]
        else:
            return NOT_FOUND
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if len(rest) not in (1, 2) or rest[0] not in RESOURCES:
            if namespace is not None and not rest and group == "":
                rest = ["namespaces", namespace]  # GET /api/v1/namespaces/NAME
                namespace = None
            else:
                return NOT_FOUND
        plural = rest[0]
        kind = RESOURCES[plural]
        if KINDS[kind][0] != group:
            return NOT_FOUND
        name = rest[1] if len(rest) == 2 else None
        if verb == "get" and name is None:
            verb = "list"
        if self.forbidden(plural, namespace, verb):
            where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
            qualified = plural if group == "" or verb in ("get", "list") else f"{plural}.{group}"
            subject = f'{qualified} "{name}"' if name else qualified
            return status(
                403,
                "Forbidden",
                f'{subject} is forbidden: User "standin-user" cannot {verb} resource "{plural}" '
                f'in API group "{group}"{where}',
                {"name": name or "", "group": group, "kind": plural},
            )
        return kind, namespace, name, group

    def route(self, parts, query):
        if parts == ["version"]:
            return 200, {"major": "1", "minor": "35", "gitVersion": "v1.35.0-standin", "platform": "linux/amd64"}
        if parts == ["api"]:
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        groups = self.groups()
        if parts[:1] == ["openapi"] and self.server.opts.no_openapi:
            return status(404, "NotFound", "the server could not find the requested resource")
        if parts == ["openapi", "v3"]:
            served = {"api/v1": "/openapi/v3/api/v1?hash=standin"}
            for g, v in groups.items():
                served[f"apis/{g}/{v}"] = f"/openapi/v3/apis/{g}/{v}?hash=standin"
            return 200, {"paths": {k: {"serverRelativeURL": u} for k, u in served.items()}}
        if parts == ["openapi", "v3", "api", "v1"]:
            return 200, openapi_v3("", "v1")
        if len(parts) == 5 and parts[:3] == ["openapi", "v3", "apis"] and groups.get(parts[3]) == parts[4]:
            return 200, openapi_v3(parts[3], parts[4])
        if parts == ["apis"]:
            listed = []
            for g, v in groups.items():
                gv = {"groupVersion": f"{g}/{v}", "version": v}
                listed.append({"name": g, "versions": [gv], "preferredVersion": gv})
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": listed}
        if parts == ["api", "v1"]:
            return 200, resource_list("v1", "")
        if len(parts) == 3 and parts[0] == "apis" and groups.get(parts[1]) == parts[2]:
            return 200, resource_list(f"{parts[1]}/{parts[2]}", parts[1])
        target = self.target(parts, "get")
        if isinstance(target[0], int):
            return target
        kind, namespace, name, group = target
        plural = KINDS[kind][2]
        if name is not None:
            o = self.server.objects.get((kind, namespace or "", name))
            if o is None:
                return self.not_found(plural, group, name)
            return 200, o
        return 200, self.listing(kind, namespace, query)

    def not_found(self, plural, group, name):
        return status(
            404, "NotFound", f'{plural}{"." + group if group else ""} "{name}" not found',
            {"name": name, "group": group, "kind": plural},
        )

    def matches(self, kind, namespace, query):
        selector = {}
        for term in ",".join(query.get("labelSelector", [])).split(","):
            if "=" in term:
                k, v = term.split("=", 1)
                selector[k.rstrip("=")] = v.lstrip("=")
        fields = {}
        for term in ",".join(query.get("fieldSelector", [])).split(","):
            if "=" in term:
                k, v = term.split("=", 1)
                fields[k.rstrip("=")] = v.lstrip("=")

        def ok(key, o):
            k, ns, name = key
            meta = o.get("metadata", {})
            return (
                k == kind
                and (namespace is None or ns == namespace)
                and all(meta.get("labels", {}).get(a) == b for a, b in selector.items())
                and fields.get("metadata.name", name) == name
                and fields.get("metadata.namespace", ns) == ns
            )

        return ok

    def listing(self, kind, namespace, query):
        group, version = KINDS[kind][0], KINDS[kind][1]
        ok = self.matches(kind, namespace, query)
        with self.server.lock:
            items = [o for key, o in sorted(self.server.objects.items()) if ok(key, o)]
            rv = str(self.server.version)
        return {
            "kind": f"{kind}List",
            "apiVersion": f"{group}/{version}" if group else "v1",
            "metadata": {"resourceVersion": rv},
            "items": items,
        }

    def write(self, verb):
        raw = self.body()
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        parts = [p for p in url.path.split("/") if p]
        target = self.target(parts, verb)
        if isinstance(target[0], int):
            return self.send(*target, write=(ctype, body))
        kind, namespace, name, group = target
        plural = KINDS[kind][2]
        if verb == "create":
            if name is not None or not isinstance(body, dict):
                return self.send(*status(405, "MethodNotAllowed", "POST creates in a collection"), write=(ctype, body))
            name = body.get("metadata", {}).get("name")
        if name is None or not isinstance(body, (dict, list)):
            return self.send(*status(400, "BadRequest", "a write names one object and sends JSON"), write=(ctype, body))
        forced = query.get("force", [""])[0] == "true"
        if ctype == "application/apply-patch+yaml" and plural in self.server.opts.conflict and not forced:
            other, field = "kubectl-client-side-apply", ".data.OPENAI_API_KEY"
            return self.send(
                *status(
                    409,
                    "Conflict",
                    f'Apply failed with 1 conflict: conflict with "{other}" using v1: {field}',
                    {"causes": [{"reason": "FieldManagerConflict", "message": f'conflict with "{other}" using v1', "field": field}]},
                ),
                write=(ctype, body),
            )
        key = (kind, namespace or "", name)
        manager = query.get("fieldManager", ["standin"])[0]
        dry_run = bool(query.get("dryRun"))
        with self.server.lock:
            current = self.server.objects.get(key)
            if verb == "create":
                if current is not None:
                    return self.send(*status(409, "AlreadyExists", f'{plural}{"." + group if group else ""} "{name}" already exists'), write=(ctype, body))
                new = copy.deepcopy(body)
            elif ctype == "application/apply-patch+yaml":
                new = server_side_apply(current, body)
            elif current is None:
                return self.send(*self.not_found(plural, group, name), write=(ctype, body))
            elif ctype == "application/json-patch+json":
                try:
                    new = json_patch(current, body)
                except (KeyError, IndexError, ValueError, TypeError) as e:
                    return self.send(*status(422, "Invalid", f"the JSON patch cannot be applied: {e}"), write=(ctype, body))
            elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                new = merge_patch(current, body)
            else:
                return self.send(*status(415, "UnsupportedMediaType", f"the content type {ctype!r} is not supported"), write=(ctype, body))
            new["kind"], new["apiVersion"] = kind, f"{group}/{KINDS[kind][1]}" if group else "v1"
            meta = new.setdefault("metadata", {})
            meta["name"] = name
            if namespace:
                meta["namespace"] = namespace
            if kind == "Secret" and "stringData" in new:
                import base64
                data = new.setdefault("data", {})
                for k, v in new.pop("stringData").items():
                    data[k] = base64.b64encode(v.encode()).decode()
            if not dry_run:
                self.commit(key, current, new, manager, "Apply" if ctype == "application/apply-patch+yaml" else "Update")
            code = 201 if current is None else 200
        self.send(code, new, write=(ctype, body))

    def commit(self, key, current, new, manager, operation):
        """Stores `new` as the API server would: resourceVersion, managedFields, generation,
        and for a workload whose pod template changed, the status of its rollout. Called with
        the lock held."""
        self.server.version += 1
        meta = new["metadata"]
        meta["resourceVersion"] = str(self.server.version)
        t = now()
        if current is None:
            meta.setdefault("creationTimestamp", t)
            meta.setdefault("uid", f"00000000-0000-4000-9000-{self.server.version:012d}")
        fields = {f"f:{k}": {} for k in new if k not in ("apiVersion", "kind", "metadata", "status")}
        entries = [m for m in meta.get("managedFields", []) if m.get("manager") != manager or m.get("operation") != operation]
        entries.append({"apiVersion": new["apiVersion"], "fieldsType": "FieldsV1", "fieldsV1": fields,
                        "manager": manager, "operation": operation, "time": t})
        meta["managedFields"] = entries
        if key[0] in WORKLOADS + ("CronJob", "Rollout"):
            old_spec = (current or {}).get("spec")
            if current is None:
                meta.setdefault("generation", 1)
            elif new.get("spec") != old_spec:
                meta["generation"] = current["metadata"].get("generation", 1) + 1
            if key[0] in WORKLOADS and (current is None or new.get("spec") != old_spec):
                stuck = "/".join(key) in self.server.opts.stuck
                settle(new, stuck)
                if current is not None and not stuck:
                    self.replace_pods(new, t)
        self.server.objects[key] = new
        self.server.changed.notify_all()

    def replace_pods(self, workload, t):
        """The pods of a workload that rolled out are new ones: they started at `t`."""
        match = workload.get("spec", {}).get("selector", {}).get("matchLabels") or {}
        ns = workload["metadata"].get("namespace", "")
        for (k, pns, _), pod in self.server.objects.items():
            labels = pod.get("metadata", {}).get("labels", {})
            if k == "Pod" and pns == ns and match and all(labels.get(a) == b for a, b in match.items()):
                st = pod.setdefault("status", {})
                st["startTime"] = t
                for c in st.get("containerStatuses", []):
                    c["state"] = {"running": {"startedAt": t}}
                self.server.version += 1
                pod["metadata"]["resourceVersion"] = str(self.server.version)

    def watch(self, target, query):
        """A watch: an event per object that changes while it is open (the initial objects too
        when asked with sendInitialEvents), chunked, until timeoutSeconds or the server stops."""
        kind, namespace, name, group = target
        if name is not None:
            query.setdefault("fieldSelector", []).append(f"metadata.name={name}")
        ok = self.matches(kind, namespace, query)
        timeout = min(float(query.get("timeoutSeconds", ["60"])[0]), self.server.opts.lifetime)
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(kind_, obj):
            data = (json.dumps({"type": kind_, "object": obj}) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        with self.server.lock:
            seen = {k: o["metadata"].get("resourceVersion") for k, o in self.server.objects.items() if ok(k, o)}
            initial = [o for k, o in sorted(self.server.objects.items()) if ok(k, o)]
            rv = str(self.server.version)
        since = query.get("resourceVersion", [""])[0]
        try:
            if query.get("sendInitialEvents", [""])[0] == "true":
                for o in initial:
                    event("ADDED", o)
                g, v = KINDS[kind][0], KINDS[kind][1]
                event("BOOKMARK", {"kind": kind, "apiVersion": f"{g}/{v}" if g else "v1",
                                   "metadata": {"resourceVersion": rv,
                                                "annotations": {"k8s.io/initial-events-end": "true"}}})
            elif since and since != "0":
                # Objects written after the version the client listed at.
                for o in initial:
                    if int(o["metadata"].get("resourceVersion") or 0) > int(since):
                        event("MODIFIED", o)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not self.server.stopping:
                with self.server.lock:
                    self.server.changed.wait(0.2)
                    changed = [(k, o) for k, o in sorted(self.server.objects.items())
                               if ok(k, o) and seen.get(k) != o["metadata"].get("resourceVersion")]
                    for k, o in changed:
                        seen[k] = o["metadata"].get("resourceVersion")
                for k, o in changed:
                    event("MODIFIED", o)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def forbidden(self, plural, namespace, verb):
        for f in self.server.opts.forbid:
            only, _, rule = f.rpartition(":")
            res, _, ns = rule.partition("@")
            if res == plural and (not ns or ns == namespace) and (not only or only == verb):
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
    p.add_argument("--stuck", action="append", default=[])
    p.add_argument("--no-eso", action="store_true")
    p.add_argument("--no-argo", action="store_true")
    p.add_argument("--hang", action="store_true")
    p.add_argument("--no-openapi", action="store_true")
    # Writes are always applied and logged; kept so that callers asking for them still work.
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
    httpd.changed = threading.Condition(httpd.lock)
    httpd.stopping = False
    httpd.stopped = threading.Event()
    httpd.version = 1 + max(
        [int(o.get("metadata", {}).get("resourceVersion") or 0) for o in httpd.objects.values()] + [0]
    )
    port = httpd.server_address[1]
    if opts.kubeconfig:
        fd = os.open(opts.kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(kubeconfig(port))
    def shutdown():
        httpd.stopping = True
        httpd.stopped.set()
        httpd.shutdown()

    stop = threading.Timer(opts.lifetime, shutdown)
    stop.daemon = True
    stop.start()

    def watch_stdin():
        try:
            sys.stdin.read()
        finally:
            shutdown()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(port, flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
