#!/usr/bin/env python3
"""Supply-chain check of the shipped binary against deny.toml, from `cargo metadata` alone.

What `cargo deny --offline check bans licenses sources` checks, for the graph that ships (normal
and build dependencies of the `ocisync` package, on the targets deny.toml lists): every license
expression is satisfiable with the allowed licenses, every crate comes from crates.io (or is one
of the workspace's own), and no banned crate (a second TLS, crypto or XML stack) is in it.

Why not cargo-deny itself in CI: installing it compiles ~300 crates for several minutes on CI's
two cores (measured in docs/security.md), for a check this script does in seconds. Where
cargo-deny is installed, scripts/test.sh runs it too. Advisories need the RustSec database from
GitHub, which this project's machines cannot reach: not checked here.

Exit 0 when the graph passes, 1 with every problem listed otherwise.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def tokens(expr):
    """SPDX tokens; the legacy `A/B` form means `A OR B`."""
    out, word = [], ""
    for ch in expr.replace("/", " OR "):
        if ch in "()":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        elif ch.isspace():
            if word:
                out.append(word)
                word = ""
        else:
            word += ch
    if word:
        out.append(word)
    return out


def satisfiable(expr, allowed):
    """Whether the SPDX expression can be met with licenses in `allowed` (AND binds tighter)."""
    toks = tokens(expr)
    pos = 0

    def primary():
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"unexpected end of {expr!r}")
        tok = toks[pos]
        pos += 1
        if tok == "(":
            value = disjunction()
            if pos >= len(toks) or toks[pos] != ")":
                raise ValueError(f"unbalanced parentheses in {expr!r}")
            pos += 1
            return value
        name = tok
        if pos + 1 < len(toks) and toks[pos] == "WITH":
            name = f"{tok} WITH {toks[pos + 1]}"
            pos += 2
            return name in allowed or tok in allowed
        return name in allowed

    def conjunction():
        nonlocal pos
        value = primary()
        while pos < len(toks) and toks[pos] == "AND":
            pos += 1
            value = primary() and value
        return value

    def disjunction():
        nonlocal pos
        value = conjunction()
        while pos < len(toks) and toks[pos] == "OR":
            pos += 1
            value = conjunction() or value
        return value

    result = disjunction()
    if pos != len(toks):
        raise ValueError(f"trailing tokens in {expr!r}")
    return result


def self_test(allowed):
    """The evaluator on known expressions: a check that cannot fail proves nothing."""
    cases = [
        ("MIT OR Apache-2.0", True),
        ("MIT/Apache-2.0", True),
        ("Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT", True),
        ("ISC AND (Apache-2.0 OR ISC)", True),
        ("MIT OR Apache-2.0 OR LGPL-2.1-or-later", True),
        ("GPL-3.0-only", False),
        ("MIT AND GPL-2.0-only", False),
        ("(MIT OR Apache-2.0) AND SSPL-1.0", False),
    ]
    for expr, want in cases:
        got = satisfiable(expr, allowed)
        if got != want:
            sys.exit(f"check-deps self-test: {expr!r} gave {got}, expected {want}")


def shipped_graph(target):
    """(name, version) of every crate the `ocisync` binary is built from on `target`: normal and
    build dependencies, features resolved as a build of the binary resolves them (`cargo tree`;
    `cargo metadata` unifies features over the whole workspace, dev-dependencies included)."""
    out = subprocess.run(
        ["cargo", "tree", "-p", "ocisync", "-e", "normal,build", "--target", target,
         "--prefix", "none", "--format", "{p}", "--locked", "--offline"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    graph = set()
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1].startswith("v"):
            graph.add((words[0], words[1][1:]))
    return graph


def who_pulls(name, target):
    """`name` and a crate that depends on it, for the message."""
    out = subprocess.run(
        ["cargo", "tree", "-p", "ocisync", "-e", "normal,build", "--target", target,
         "-i", name, "--prefix", "none", "--locked", "--offline"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout
    lines = [l.split(" (")[0] for l in out.splitlines() if l.strip()]
    if len(lines) < 2:
        return " ".join(lines)
    return f"{lines[0]} (through {lines[1]})"


def dependents(name, target):
    """The crates that depend on `name` directly (or {"?"} when cargo tree says nothing)."""
    out = subprocess.run(
        ["cargo", "tree", "-p", "ocisync", "-e", "normal,build", "--target", target,
         "-i", name, "--depth", "1", "--prefix", "none", "--locked", "--offline"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout
    names = {l.split()[0] for l in out.splitlines()[1:] if l.strip() and not l.startswith("[")}
    return names or {"?"}


def main():
    policy = tomllib.loads((ROOT / "deny.toml").read_text())
    allowed = set(policy["licenses"]["allow"])
    banned = {b["name"]: b.get("reason", "banned") for b in policy["bans"]["deny"]}
    # cargo-deny's `wrappers`: the only crates a banned crate may be a direct dependency of.
    wrappers = {b["name"]: set(b["wrappers"]) for b in policy["bans"]["deny"] if "wrappers" in b}
    targets = policy.get("graph", {}).get("targets", ["x86_64-unknown-linux-gnu"])
    self_test(allowed)
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--offline"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
    )
    facts = {(p["name"], p["version"]): p for p in metadata["packages"]}
    shipped = {}
    for target in targets:
        for key in shipped_graph(target):
            shipped.setdefault(key, target)
    # A graph read wrongly (an empty one) would pass every check: the TLS and XML stacks that are
    # meant to be there must be found.
    names = {name for name, _ in shipped}
    for expected in ("rustls", "aws-lc-rs", "quick-xml", "opendal"):
        if expected not in names:
            sys.exit(f"check-deps: {expected} not found in the shipped graph; the check is broken")
    problems = []
    for (name, version), target in sorted(shipped.items()):
        p = facts.get((name, version))
        if p is None:
            problems.append(f"metadata: {name} {version} is in the build but not in cargo metadata")
            continue
        where = f"{name} {version}"
        if name in banned and not dependents(name, target) <= wrappers.get(name, set()):
            problems.append(f"banned: {who_pulls(name, target) or where}: {banned[name]}")
        if p["source"] is None:
            continue  # the workspace's own crates
        if p["source"] != CRATES_IO:
            problems.append(f"source: {where}: {p['source']} (crates.io only)")
        expr = p.get("license")
        if not expr:
            problems.append(f"license: {where}: no SPDX license expression")
            continue
        try:
            ok = satisfiable(expr, allowed)
        except ValueError as e:
            problems.append(f"license: {where}: {e}")
            continue
        if not ok:
            problems.append(
                f"license: {where}: {expr!r} is not satisfiable with deny.toml's allow list"
            )
    for line in problems:
        print(f"check-deps: {line}", file=sys.stderr)
    print(
        f"check-deps: {len(shipped)} crates in the shipped graph ({', '.join(targets)}), "
        f"{len(problems)} problems "
        f"(licenses, sources, {len(banned)} banned TLS/crypto/XML crates)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
