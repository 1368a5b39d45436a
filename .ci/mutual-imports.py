#!/usr/bin/env python3
"""Lists pairs of source files of one crate that import each other.

A file "imports" another when it names one of the other's items through `crate::` (directly,
or through a re-export at the crate root) or names the other's module. Exit 1 if any pair is
found. Usage: mutual-imports.py CRATE_SRC_DIR...
"""
import pathlib
import re
import sys

ITEM = re.compile(r"^\s*pub(?:\([^)]*\))?\s+(?:const\s+fn|async\s+fn|unsafe\s+fn|fn|struct|enum|trait|type|const|static|mod)\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)
MACRO = re.compile(r"^\s*macro_rules!\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)
CRATE_PATH = re.compile(r"crate::((?:[A-Za-z_][A-Za-z0-9_]*::)*)(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))", re.S)


def strip_tests(text):
    """The code outside tests, without comments (doc links are not imports)."""
    code = text.split("#[cfg(test)]")[0]
    return re.sub(r"//[^\n]*", "", code)


def module_of(src, path):
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts)


def check(src):
    src = pathlib.Path(src)
    files = sorted(p for p in src.rglob("*.rs"))
    modules = {module_of(src, f): f for f in files}
    owner = {}
    for f in files:
        text = strip_tests(f.read_text())
        for name in ITEM.findall(text) + MACRO.findall(text):
            if f.name not in ("lib.rs", "main.rs"):
                owner.setdefault(name, f)
    uses = {f: set() for f in files}
    for f in files:
        if f.name in ("lib.rs", "main.rs"):
            continue
        text = strip_tests(f.read_text())
        for prefix, group, single in CRATE_PATH.findall(text):
            names = [single] if single else [n.strip().split(" as ")[0].split("::")[0] for n in group.split(",")]
            mod = prefix.rstrip(":").replace("::", "::")
            if mod in modules and modules[mod] != f:
                uses[f].add(modules[mod])
            for name in names:
                if not name or name == "self":
                    continue
                target = modules.get(f"{mod}::{name}" if mod else name) or owner.get(name)
                if target is not None and target != f:
                    uses[f].add(target)
    pairs = set()
    for a, targets in uses.items():
        for b in targets:
            if a in uses.get(b, ()):
                pairs.add(tuple(sorted((str(a), str(b)))))
    return sorted(pairs)


def main():
    found = []
    for src in sys.argv[1:]:
        found += check(src)
    for a, b in found:
        print(f"{a} <-> {b}")
    if found:
        print(f"{len(found)} pair(s) of files import each other")
        sys.exit(1)
    print("no two source files import each other")


if __name__ == "__main__":
    main()
