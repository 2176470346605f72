#!/usr/bin/env python3
"""Lists the import circles inside each crate: sibling modules that name each other's
items (through `use` and paths: `crate::`, `super::`, `self::`, a child module's name), so
that the crate no longer reads top-down.

    scripts/import_cycles.py [--root DIR] [CRATE ...]
        (default: every crate under crates/ of this repository, or of DIR)

Each file names the items it uses; re-exports are followed to the module that defines the
item (`pub use x::Y;` in lib.rs makes `crate::Y` name x). An edge between two files counts
between the children of their closest common module that hold them (render.rs naming
delivery/plan.rs is render -> delivery); a module and its own descendants are one unit, so
a child naming its parent's items is no circle. `mod x;` declarations are no edges, nor are
references inside `#[cfg(test)]` modules or test-only files (`tests.rs`, `*_tests.rs`):
tests read their module.

Prints each circle (a strongly connected component of more than one module) with the file
edges that tie it; exits 1 when there is any, 0 when there is none.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STRING = re.compile(r'r(#*)"(?:.|\n)*?"\1|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])\'')
LINE_COMMENT = re.compile(r"//[^\n]*")
BLOCK_COMMENT = re.compile(r"/\*(?:.|\n)*?\*/")
MOD_DECL = re.compile(r"((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")
INLINE_MOD = re.compile(r"\bmod\s+\w+\s*\{")
TEST_MOD = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{")
USE = re.compile(r"\b((?:pub(?:\([^)]*\))?\s+)?)use\s+([^;]+);")
PATH = re.compile(r"\b((?:crate|super|self|[a-z_][a-z0-9_]*)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def strip(text):
    """Source without comments and string/char literals (kept as empty quotes)."""
    text = BLOCK_COMMENT.sub(" ", text)
    out, i = [], 0
    for m in STRING.finditer(text):
        out.append(LINE_COMMENT.sub("", text[i:m.start()]))
        out.append('""')
        i = m.end()
    out.append(LINE_COMMENT.sub("", text[i:]))
    return "".join(out)


def expand_use(tree):
    """`a::{b, c::{d as e, *}}` -> [[a, b], [a, c, d], [a, c, *]] (aliases cut off)."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    if tree.startswith("::"):
        tree = tree[2:]

    def split_top(s):
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += ch == "{"
            depth -= ch == "}"
            cur += ch
        if cur:
            parts.append(cur)
        return parts

    def walk(s):
        brace = s.find("{")
        if brace < 0:
            return [[seg for seg in s.split("::") if seg]]
        prefix = [seg for seg in s[:brace].split("::") if seg]
        inner = s[brace + 1:s.rfind("}")]
        return [prefix + rest for part in split_top(inner) for rest in walk(part)]

    return walk(tree)


class Module:
    def __init__(self, path, file, test):
        self.path = path  # tuple of segments from the crate root
        self.file = file
        self.test = test
        self.children = {}
        self.text = ""
        self.reexports = {}  # item name -> absolute path it re-exports
        self.items = set()


def load_crate(src):
    root_file = src / "lib.rs"
    if not root_file.exists():
        root_file = src / "main.rs"
    modules = {}

    def visit(path, file, test):
        module = Module(path, file, test)
        modules[path] = module
        module.text = strip(file.read_text())
        module.items = set(re.findall(
            r"\b(?:fn|struct|enum|trait|type|const|static|union|macro_rules!)\s+([A-Za-z_]\w*)", module.text))
        if file.name in ("lib.rs", "main.rs", "mod.rs"):
            base = file.parent
        else:
            base = file.parent / file.stem
        for m in MOD_DECL.finditer(module.text):
            attrs, name = m.group(1), m.group(2)
            explicit = re.search(r'#\[path\s*=', attrs)
            if explicit:
                continue
            child_test = test or "cfg(test)" in attrs or name == "tests" or name.endswith("_tests")
            for candidate in (base / f"{name}.rs", base / name / "mod.rs"):
                if candidate.exists():
                    module.children[name] = path + (name,)
                    visit(path + (name,), candidate, child_test)
                    break

    visit((), root_file, False)
    return modules


def inline_depths(text):
    """For each position: how many inline `mod x {` blocks enclose it (-1 inside a
    `#[cfg(test)]` one, whose references are left out)."""
    openers = {m.end() - 1 for m in INLINE_MOD.finditer(text)}
    tests = {m.end() - 1 for m in TEST_MOD.finditer(text)}
    depth_at = [0] * (len(text) + 1)
    stack, depth, in_test = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            stack.append((i in openers, i in tests))
            depth += i in openers
            in_test += i in tests
        elif ch == "}" and stack:
            inline, test = stack.pop()
            depth -= inline
            in_test -= test
        depth_at[i] = -1 if in_test else depth
    return depth_at


def absolute(module, segments, depth, modules):
    """The absolute path `segments` names from `module` (inside `depth` inline modules)."""
    first = segments[0]
    if first == "crate":
        return list(segments[1:])
    if first in ("self", "super"):
        base = list(module.path)
        rest = list(segments)
        if rest[0] == "self":
            rest = rest[1:]
        while rest and rest[0] == "super":
            if depth > 0:
                depth -= 1  # `super` of an inline module is this file
            elif base:
                base.pop()
            rest = rest[1:]
        return base + rest
    if depth == 0 and first in module.children:
        return list(module.path) + list(segments)
    return None  # another crate, std, or a name in scope


def resolve(path, modules, hops=0):
    """(module path of the defining file, item name) for an absolute item path."""
    node = ()
    i = 0
    while i < len(path) and tuple(path[: i + 1]) in modules:
        node = tuple(path[: i + 1])
        i += 1
    item = path[i] if i < len(path) else None
    target = modules.get(node)
    if target and item and item in target.reexports and hops < 8:
        return resolve(target.reexports[item] + list(path[i + 1:]), modules, hops + 1)
    return node, item


def edges_of(crate):
    modules = load_crate(crate / "src")
    # Re-exports first (pub use / pub(crate) use / use in a parent that children name).
    for module in modules.values():
        for m in USE.finditer(module.text):
            for segments in expand_use(m.group(2)):
                if not segments or segments[-1] in ("*", "self"):
                    continue
                full = absolute(module, segments, 0, modules)
                if full is not None:
                    module.reexports.setdefault(segments[-1], full)
    edges = {}
    for module in modules.values():
        if module.test:
            continue
        depths = inline_depths(module.text)
        found = []
        for m in USE.finditer(module.text):
            for segments in expand_use(m.group(2)):
                if segments and segments[-1] == "self":
                    segments = segments[:-1]
                if segments:
                    found.append((segments, depths[m.start()]))
        for m in PATH.finditer(USE.sub(lambda u: " " * len(u.group(0)), module.text)):
            found.append((m.group(1).split("::"), depths[m.start()]))
        for segments, depth in found:
            if depth < 0:
                continue
            full = absolute(module, segments, depth, modules)
            if full is None:
                continue
            if full and full[-1] == "*":
                node, item = tuple(full[:-1]), "*"
            else:
                node, item = resolve(full, modules)
            if node == module.path or node not in modules or modules[node].test:
                continue
            edges.setdefault(module.path, {}).setdefault(node, set()).add(item or "(module)")
    return modules, edges


def sibling_edges(edges):
    """Edges between sibling modules: an edge between two files becomes one between the
    children of their closest common module that hold them; a module and its own
    descendants are one unit (a parent reads its children; a child may name its parent's
    items), so edges between them are dropped."""
    out = {}
    for a, targets in edges.items():
        for b, items in targets.items():
            common = 0
            while common < min(len(a), len(b)) and a[common] == b[common]:
                common += 1
            if common == len(a) or common == len(b):
                continue
            x, y = a[: common + 1], b[: common + 1]
            out.setdefault(x, {}).setdefault(y, set()).update(
                f"{'/'.join(a) or 'lib'} -> {'/'.join(b) or 'lib'}: {i}" for i in items)
    return out


def circles(modules, edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(modules):
        if v not in index and not modules[v].test:
            strong(v)
    return out


def main(args):
    root = ROOT
    if args[:1] == ["--root"]:
        root, args = Path(args[1]), args[2:]
    names = args
    crates = sorted((root / "crates").iterdir()) if not names else [root / "crates" / n for n in names]
    total = 0
    for crate in crates:
        if not (crate / "src").is_dir():
            continue
        modules, file_edges = edges_of(crate)
        edges = sibling_edges(file_edges)
        for component in circles(modules, edges):
            total += 1
            names = ["::".join(p) for p in component]
            print(f"{crate.name}: {' <-> '.join(names)}")
            members = set(component)
            for a in component:
                for b, items in sorted(edges.get(a, {}).items()):
                    if b in members:
                        for item in sorted(items):
                            print(f"    {item}")
    print(f"{total} circle(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
