# SPDX-License-Identifier: GPL-2.0-or-later
"""test_manpages.py - every command has a man page that matches its --help.

A man page with a USAGE section must carry the command's --help text
verbatim (after troff unescaping); every page must name every long option
the command's --help lists. Run by `make test` (no root needed).
"""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)

PAGES = {
    "xend": "xend.8",
    "xc_dom_create": "xc_dom_create.1",
    "xc_dom_control": "xc_dom_control.1",
    "vs_pcap_run": "vs_pcap_run.1",
    "xen_nat": "xen_nat.8",
    "xen_read_console": "xen_read_console.1",
}


def help_text(cmd):
    # xc_dom_create -h also lists the defaults file's variables: --help is
    # the usage alone. Some commands print help on stderr.
    r = subprocess.run([os.path.join(BUILD, cmd), "--help"], text=True,
                       capture_output=True, timeout=10,
                       env=dict(os.environ, XENO_DEFAULTS="/nonexistent"))
    assert r.returncode == 0, f"{cmd} --help exited {r.returncode}"
    return r.stdout or r.stderr


def unescape(line):
    return (line.replace("\\-", "-").replace("\\e", "\\")
            .replace("\\(em", "\u2014").replace("\\&", ""))


def usage_section(page):
    lines, inside = [], False
    for line in open(os.path.join(ROOT, "docs", page), encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith(".SH"):
            inside = line.strip() == ".SH USAGE"
            continue
        if inside and not line.startswith((".nf", ".fi", '.\\"')):
            lines.append(unescape(line))
    return "\n".join(lines)


@pytest.mark.parametrize("cmd", sorted(PAGES))
def test_page_names_every_option(cmd):
    page = open(os.path.join(ROOT, "docs", PAGES[cmd]), encoding="utf-8").read()
    text = unescape(page)
    opts = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", help_text(cmd)))
    assert opts, f"{cmd} --help lists no long options"
    missing = sorted(o for o in opts if o not in text)
    assert not missing, f"{PAGES[cmd]} does not mention {missing}"


@pytest.mark.parametrize("cmd", sorted(c for c in PAGES
                                       if ".SH USAGE" in open(os.path.join(
                                           ROOT, "docs", PAGES[c])).read()))
def test_usage_section_is_help(cmd):
    usage = usage_section(PAGES[cmd])
    for line in help_text(cmd).splitlines():
        if "cannot read" in line or "cannot list" in line:
            continue            # the defaults file of a build tree
        assert line.rstrip() in usage, \
            f"{PAGES[cmd]} USAGE lacks --help line {line!r}"
