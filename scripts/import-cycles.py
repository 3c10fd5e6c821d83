#!/usr/bin/env python3
"""Import circles between the source files of a Rust crate tree.

    python3 scripts/import-cycles.py [ROOT]     # checks ROOT/src (library) and ROOT/src/cli (binary)

A file A depends on a file B when A names a path (`crate::x::y`, `super::y`, `self::y`, or
`recif_secrets::x` from the binary) that resolves to the module of B; a parent declaring
`mod child;` is not a dependency by itself. Prints every circle (a strongly connected group
of files) and exits 1 if there is one. Test modules (`#[cfg(test)] mod tests { ... }` and
files named tests.rs) are ignored: they may look at anything.
"""
import os, re, sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def modules(base, root_file):
    """{module path tuple: file} for the crate whose root is root_file in folder base."""
    out = {}

    def walk(path, file, folder):
        out[path] = file
        text = open(file, encoding="utf-8").read()
        for m in re.finditer(r'^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;', text, re.M):
            name = m.group(1)
            if name == "tests":
                continue
            for cand in (os.path.join(folder, name + ".rs"), os.path.join(folder, name, "mod.rs")):
                if os.path.exists(cand):
                    sub = os.path.join(folder, name)
                    walk(path + (name,), cand, sub)
                    break

    folder = os.path.dirname(root_file)
    walk((), root_file, folder)
    return out


def strip_tests(text):
    """The text without `#[cfg(test)]` items (a mod block or one item) and comments."""
    text = re.sub(r'//[^\n]*', '', text)
    out, i = [], 0
    while True:
        j = text.find("#[cfg(test)]", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        k = text.find("{", j)
        semi = text.find(";", j)
        if semi >= 0 and (k < 0 or semi < k):
            i = semi + 1
            continue
        depth, p = 0, k
        while p < len(text):
            if text[p] == "{":
                depth += 1
            elif text[p] == "}":
                depth -= 1
                if depth == 0:
                    break
            p += 1
        i = p + 1
    return "".join(out)


def paths_in(text):
    """Every path used, with `use a::{b, c::{d}}` groups expanded."""
    found = []

    def expand(prefix, body):
        depth, cur, parts = 0, "", []
        for ch in body:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        parts.append(cur)
        for part in parts:
            part = part.strip()
            if not part:
                continue
            m = re.match(r'^([\w:]*?)::\{(.*)\}$', part, re.S)
            if m:
                expand(prefix + m.group(1).split("::"), m.group(2))
            else:
                found.append(prefix + part.split(" as ")[0].strip().split("::"))

    for m in re.finditer(r'\buse\s+([^;]+);', text):
        body = m.group(1).strip()
        expand([], body)
    for m in re.finditer(r'(?<![\w:])(\w+(?:::\w+)+)', text):
        found.append(m.group(1).split("::"))
    return found


def resolve(mods, here, path, lib_mods):
    """The module file a path names (its longest module prefix), or None."""
    if not path:
        return None
    head = path[0]
    if head == "crate":
        base, rest = (), path[1:]
    elif head == "recif_secrets" and lib_mods is not None:
        return ("lib",) + longest(lib_mods, (), path[1:])
    elif head == "super":
        base, rest = here, path
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    elif head == "self":
        base, rest = here, path[1:]
    elif here + (head,) in mods:
        base, rest = here, path
    else:
        return None
    return ("self",) + longest(mods, base, rest)


def longest(mods, base, rest):
    cur = base
    for part in rest:
        if cur + (part,) in mods:
            cur = cur + (part,)
        else:
            break
    return cur


def check(name, base, root, lib_mods=None):
    mods = modules(base, root)
    graph = {}
    for path, file in mods.items():
        text = strip_tests(open(file, encoding="utf-8").read())
        deps = set()
        for p in paths_in(text):
            r = resolve(mods, path, p, lib_mods)
            if r and r[0] == "self" and r[1:] != path:
                deps.add(r[1:])
        graph[path] = deps
    circles = 0
    # 1. Between the top-level modules (a folder counts as one module; the crate root too).
    top = {}
    for v, deps in graph.items():
        for w in deps:
            # The crate root (lib.rs, main.rs) is the crate's face, as a mod.rs is its folder's:
            # it declares and re-exports modules, so it is left aside (keep it to that).
            if v[:1] != w[:1] and v and w:
                top.setdefault(v[:1], set()).add(w[:1])
    for comp in sccs_of(top):
        names = sorted("/".join(m) or "(crate root)" for m in comp)
        print(f"{name}: import circle between modules {', '.join(names)}")
        circles += 1
    # 2. Between the files of one folder, leaving its mod.rs (the folder's face) aside.
    for parent in set(v[:-1] for v in graph if len(v) > 1):
        sub = {}
        for v, deps in graph.items():
            if len(v) == len(parent) + 1 and v[:-1] == parent:
                sub[v] = set(w[:len(v)] for w in deps
                             if len(w) > len(parent) and w[:len(parent)] == parent and w[:len(v)] != v)
        for comp in sccs_of(sub):
            files = sorted(os.path.relpath(mods[m], ROOT) for m in comp)
            print(f"{name}: import circle between files {', '.join(files)}")
            circles += 1
    return mods, circles


def sccs_of(graph):
    """Tarjan's strongly connected components with more than one node."""
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(comp)

    for v in list(graph):
        if v not in index:
            visit(v)
    return sccs


lib_mods, n1 = check("library", os.path.join(ROOT, "src"), os.path.join(ROOT, "src/lib.rs"))
n2 = 0
if os.path.exists(os.path.join(ROOT, "src/cli/main.rs")):
    _, n2 = check("binary", os.path.join(ROOT, "src/cli"), os.path.join(ROOT, "src/cli/main.rs"), lib_mods)
if n1 + n2:
    sys.exit(1)
print("no import circle between files")
