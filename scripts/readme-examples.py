#!/usr/bin/env python3
"""Re-runs the README's shell examples and compares (or rewrites) their printed output.

  scripts/readme-examples.py [--write] [--only REGEX] [--dir DIR]

A fenced block holds commands ("$ cmd", continued by lines ending in a backslash) each followed
by the output it printed. A block is run when one of its commands matches REGEX (default: every
block): all its commands in order, in DIR (default /tmp/readme-examples, shared by all blocks, so
a later block finds what an earlier one wrote), with the repository's launcher on PATH as
`kexec-sim` and as `./kexec-sim`. Without --write, each command whose output differs is shown as
a unified diff and the exit status is 1; with --write the README is rewritten with the new
outputs (review `git diff`: a listing the README cuts by hand, "...", comes back whole).
"""
import argparse
import difflib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")


def blocks(lines):
    """(start, end) line indices of each fenced block's body."""
    out, start = [], None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            if start is None:
                start = i + 1
            else:
                out.append((start, i))
                start = None
    return out


def commands(lines, start, end):
    """[(command text, first output line, end of output)] of one block."""
    out, i = [], start
    while i < end:
        if not lines[i].startswith("$ "):
            i += 1
            continue
        cmd = [lines[i][2:]]
        while cmd[-1].endswith("\\") and i + 1 < end:
            i += 1
            cmd.append(lines[i])
        j = i + 1
        while j < end and not lines[j].startswith("$ "):
            j += 1
        out.append(("\n".join(cmd), i + 1, j))
        i = j
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--dir", default="/tmp/readme-examples")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    bindir = os.path.join(a.dir, ".bin")
    os.makedirs(bindir, exist_ok=True)
    for launcher in (os.path.join(bindir, "kexec-sim"), os.path.join(a.dir, "kexec-sim")):
        with open(launcher, "w") as f:  # a wrapper, not a link: the launcher finds its jar from $0
            f.write('#!/bin/sh\nexec "%s" "$@"\n' % os.path.join(ROOT, "kexec-sim"))
        os.chmod(launcher, 0o755)
    for link, target in ((os.path.join(a.dir, "testdata"), os.path.join(ROOT, "testdata")),
                         (os.path.join(a.dir, "scripts"), os.path.join(ROOT, "scripts"))):
        if not os.path.lexists(link):
            os.symlink(target, link)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], COLUMNS="200")
    lines = open(README).read().split("\n")
    only = re.compile(a.only)
    replacements, differing = [], 0
    for start, end in blocks(lines):
        cmds = commands(lines, start, end)
        if not cmds or not any(only.search(c) for c, _, _ in cmds):
            continue
        assignments = []  # "M=..." commands: later commands of the block see the variable
        for cmd, first, last in cmds:
            got = subprocess.run(["bash", "-c", "\n".join(assignments + [cmd])], cwd=a.dir, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True).stdout.rstrip("\n").split("\n")
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=\S*(\s+#.*)?$", cmd):
                assignments.append(cmd)
            if got == [""]:
                got = []
            want = lines[first:last]
            if got != want:
                differing += 1
                sys.stdout.writelines(difflib.unified_diff(
                    [w + "\n" for w in want], [g + "\n" for g in got],
                    "README.md:%d" % (first + 1), "$ " + cmd.split("\n")[0][:100]))
                replacements.append((first, last, got))
    if a.write and replacements:
        for first, last, got in sorted(replacements, reverse=True):
            lines[first:last] = got
        open(README, "w").write("\n".join(lines))
    print("%d command(s) differ%s" % (differing, " (README rewritten)" if a.write and differing else ""),
          file=sys.stderr)
    return 1 if differing and not a.write else 0


if __name__ == "__main__":
    sys.exit(main())
