"""scripts/package.sh makes a real .deb: its name, its files, its control
fields and Depends, and what runs from it once unpacked (dpkg -x): the CLI,
the Python module, the gdb plugin gdb loads at start-up (and its off
switch), the manual page and the bash completion."""
import gzip
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, build_cli, need, project_version

SUBCOMMANDS = ["analyze", "info", "goroutines", "stack", "batch", "summarize"]
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    return subprocess.run([str(c) for c in cmd], **kw)


# ---- the .deb itself ------------------------------------------------------------

def test_name_version_arch(package):
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    assert package.deb.name == "mapsleuth_%s_%s.deb" % (project_version(), arch)
    assert package.field("Package") == "mapsleuth"
    assert package.field("Version") == project_version()
    assert package.field("Architecture") == arch


def test_lists_the_promised_files(package):
    p = run(["dpkg-deb", "-c", package.deb])
    assert p.returncode == 0, p.stderr
    files = {}
    for line in p.stdout.splitlines():
        mode, owner, _size, _date, _time, path = line.split(None, 5)
        files[path.lstrip(".")] = (mode, owner)
    assert all(owner == "root/root" for _, owner in files.values())
    want = {
        "/usr/bin/mapsleuth": "-rwxr-xr-x",
        "/usr/lib/python3/dist-packages/mapsleuth/__init__.py": "-rw-r--r--",
        "/usr/lib/python3/dist-packages/mapsleuth/records.py": "-rw-r--r--",
        "/usr/share/mapsleuth/gdb/mapsleuth-gdb.py": "-rw-r--r--",
        "/etc/gdb/gdbinit.d/mapsleuth.py": "-rw-r--r--",
        "/usr/share/man/man1/mapsleuth.1.gz": "-rw-r--r--",
        "/usr/share/bash-completion/completions/mapsleuth": "-rw-r--r--",
        "/usr/share/doc/mapsleuth/USAGE.md": "-rw-r--r--",
    }
    for path, mode in want.items():
        assert path in files, path
        assert files[path][0] == mode, (path, files[path])
    ext = [f for f in files
           if re.fullmatch(r"/usr/lib/python3/dist-packages/mapsleuth/_mapsleuth\.cpython-3\d+-.*\.so", f)]
    assert len(ext) == 1, sorted(files)
    # Nothing outside /usr and gdb's system gdbinit directory.
    for f, (mode, _) in files.items():
        if not mode.startswith("d"):
            assert f.startswith("/usr/") or f.startswith("/etc/gdb/gdbinit.d/"), f


def test_control_archive(package, tmp_path):
    ctl = tmp_path / "DEBIAN"
    run(["dpkg-deb", "-e", package.deb, ctl], check=True)
    assert (ctl / "conffiles").read_text().split() == ["/etc/gdb/gdbinit.d/mapsleuth.py"]
    # md5sums covers every file, and they match.
    sums = dict(reversed(l.split("  ", 1)) for l in (ctl / "md5sums").read_text().splitlines())
    listed = {str(p.relative_to(package.root)) for p in package.root.rglob("*") if p.is_file()}
    assert set(sums) == listed
    p = run(["md5sum", "--check", "--quiet", ctl / "md5sums"], cwd=package.root)
    assert p.returncode == 0, p.stdout + p.stderr
    for script in ("postinst", "prerm"):
        assert os.access(ctl / script, os.X_OK)
        assert run(["sh", "-n", ctl / script]).returncode == 0
    assert int(package.field("Installed-Size")) > 1000


def _needed(elf):
    out = run(["readelf", "-d", elf], check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _owner(soname):
    """The Debian package that holds the library the dynamic loader would
    find for SONAME (dpkg -S, trying the /lib and /usr/lib spellings)."""
    cache = run(["/sbin/ldconfig", "-p"], check=True).stdout
    m = re.search(r"^\s*%s \(libc6,x86-64[^)]*\) => (\S+)$" % re.escape(soname), cache, re.M)
    assert m, "ldconfig does not know %s" % soname
    path = m.group(1)
    cands = [path, os.path.realpath(path)]
    for c in list(cands):
        for a, b in (("/usr/lib/", "/lib/"), ("/lib/", "/usr/lib/"), ("/lib64/", "/usr/lib64/")):
            if c.startswith(a):
                cands.append(b + c[len(a):])
    for c in cands:
        p = run(["dpkg-query", "-S", c])
        if p.returncode == 0:
            return p.stdout.split(":")[0].strip()
    pytest.fail("no package holds %s (%s)" % (soname, cands))


def test_depends_names_every_shared_library_linked(package):
    """Every library the packaged executable and module load comes from a
    package the .deb depends on (found independently of dpkg-shlibdeps:
    readelf, ldconfig, dpkg -S)."""
    need("readelf")
    depends = package.field("Depends")
    names = {re.match(r"\s*([a-z0-9.+-]+)", d).group(1) for d in depends.split(",")}
    elves = [package.root / "usr/bin/mapsleuth"] + list(package.dist_packages.glob("mapsleuth/*.so"))
    needed = set()
    for e in elves:
        needed.update(_needed(e))
    assert "libdw.so.1" in needed and "libcapstone.so.4" in needed  # the module's
    for soname in sorted(needed):
        assert _owner(soname) in names, (soname, depends)


def test_depends_on_the_python_the_module_is_built_for(package):
    ext = next(package.dist_packages.glob("mapsleuth/_mapsleuth.cpython-3*.so"))
    minor = int(re.search(r"cpython-3(\d+)", ext.name).group(1))
    depends = [d.strip() for d in package.field("Depends").split(",")]
    assert "python3 (>= 3.%d~)" % minor in depends
    assert "python3 (<< 3.%d)" % (minor + 1) in depends


# ---- run from the unpacked root -------------------------------------------------

def test_packaged_cli_runs_and_agrees_with_the_build(package, case):
    core, exe, truth = case
    cli = package.root / "usr/bin/mapsleuth"
    assert run([cli, "--version"]).stdout == run([build_cli(), "--version"]).stdout
    p = run([cli, "analyze", core, "--exe", exe, "--format", "json"])
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    want = json.loads(run([build_cli(), "analyze", core, "--exe", exe, "--format", "json"]).stdout)
    assert got == want
    assert got["fault"]["kind"] == truth["fault"]["kind"]  # the independent truth
    # Stripped: no symbol table, no DWARF.
    sections = run(["readelf", "-S", "-W", cli], check=True).stdout
    assert ".symtab" not in sections and ".debug_info" not in sections


def test_packaged_python_module_runs(package, case):
    core, exe, _ = case
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import mapsleuth\n"
            "r = mapsleuth.analyze(%r, exe=%r)\n"
            "print(mapsleuth.__file__); print(r.to_json())\n"
            % (str(package.dist_packages), str(core), str(exe)))
    # -I: no PYTHONPATH, no user site: only the unpacked package.
    p = run(["/usr/bin/python3", "-I", "-c", code], cwd="/")
    assert p.returncode == 0, p.stderr
    where, report = p.stdout.split("\n", 1)
    assert where.startswith(str(package.dist_packages) + "/mapsleuth/"), where
    got = json.loads(report)
    want = json.loads(run([build_cli(), "analyze", core, "--exe", exe, "--format", "json"]).stdout)
    assert got["fault"] == want["fault"]
    assert got["map"]["address"] == want["map"]["address"]
    assert got["key"]["value"] == want["key"]["value"]


# ---- the gdb plugin -------------------------------------------------------------

def _gdb(package, args, commands, env=None):
    gdb = need("gdb")
    cmd = [gdb, "-batch", "-nx", "-iex", "set auto-load no", "-ix", package.gdbinit]
    for c in commands:
        cmd += ["-ex", c]
    e = dict(os.environ)
    for k in ("MAPSLEUTH_PYTHONPATH", "MAPSLEUTH_GDB_DISABLE", "PYTHONPATH"):
        e.pop(k, None)
    e.update(env or {})
    return run(cmd + list(args), env=e, cwd="/")


def test_gdbinit_file_is_in_gdbs_system_gdbinit_dir(package):
    """/usr/bin/gdb runs every file of this directory at start-up (without
    -nx), so the package's file there loads the plugin in every session."""
    conf = run([need("gdb"), "--configuration"], check=True).stdout
    m = re.search(r"--with-system-gdbinit-dir=(\S+)", conf)
    assert m, conf
    assert package.gdbinit.is_file()
    assert "/" + str(package.gdbinit.relative_to(package.root)) == m.group(1) + "/mapsleuth.py"


def test_gdb_loads_the_packaged_plugin_and_module(package, case):
    core, exe, _ = case
    p = _gdb(package, [], [
        "help mapsleuth",
        "python import mapsleuth; print('module', mapsleuth.__file__)",
        "python print('kind', mapsleuth.analyze(%r, exe=%r).fault.kind)" % (str(core), str(exe)),
    ])
    assert p.returncode == 0, p.stderr
    m = re.search(r"mapsleuth \S+ loaded from (\S+):", p.stdout)
    assert m, p.stdout + p.stderr
    assert m.group(1) == str(package.dist_packages)
    assert "Traceback" not in p.stdout + p.stderr
    assert "mapsleuth goroutines" in p.stdout  # the command's help
    assert "module %s/mapsleuth/" % package.dist_packages in p.stdout
    assert "kind concurrent_map_writes" in p.stdout


def test_gdb_mapsleuth_command_on_a_core(package, inflated, case):
    core, exe = inflated
    want = json.loads(run([build_cli(), "analyze", case[0], "--exe", case[1],
                           "--format", "json"]).stdout)
    p = _gdb(package, [exe, core], ["mapsleuth"])
    assert p.returncode == 0, p.stderr
    assert want["fault"]["message"] in p.stdout
    assert want["map"]["address"] in p.stdout


@pytest.mark.parametrize("value,loads", [("1", False), ("yes", False), ("0", True), ("", True)])
def test_gdb_off_switch(package, value, loads):
    p = _gdb(package, [], ["help mapsleuth"], env={"MAPSLEUTH_GDB_DISABLE": value})
    assert ("loaded from" in p.stdout) == loads, p.stdout + p.stderr
    assert ('Undefined command: "mapsleuth"' in p.stderr) != loads, p.stderr


def test_gdb_starts_quietly_when_the_package_is_removed_but_its_conffile_kept(package, tmp_path):
    d = tmp_path / "etc" / "gdb" / "gdbinit.d"
    d.mkdir(parents=True)
    shutil.copy(package.gdbinit, d / "mapsleuth.py")
    p = run([need("gdb"), "-batch", "-nx", "-ix", d / "mapsleuth.py", "-ex", "echo ok\\n"], cwd="/")
    assert p.returncode == 0
    assert p.stdout == "ok\n" and p.stderr == "", p.stdout + p.stderr


# ---- manual page, bash completion -------------------------------------------------

def _long_options(sub):
    p = run([build_cli(), sub, "--help"])
    assert p.returncode == 0, p.stderr
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", p.stdout))


def test_man_page_renders_and_covers_every_subcommand_and_option(package, tmp_path):
    need("man")
    page = package.root / "usr/share/man/man1/mapsleuth.1.gz"
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="400")
    p = run(["man", "-l", page], env=env)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    text = p.stdout.replace("\u2010", "-").replace("\u2212", "-")
    assert re.search(r"^NAME\n\s+mapsleuth - explain", text, re.M), text[:300]
    assert "mapsleuth %s" % project_version() in text  # .TH footer
    for sub in SUBCOMMANDS:
        assert re.search(r"mapsleuth %s\b" % sub, text), sub
        for opt in _long_options(sub):
            assert opt in text, (sub, opt)
    src = tmp_path / "mapsleuth.1"
    src.write_bytes(gzip.decompress(page.read_bytes()))
    g = run(["groff", "-man", "-ww", "-z", src])
    assert g.returncode == 0 and g.stderr == "", g.stderr


def _complete(package, line, framework):
    """What bash completes for LINE (the last word is being completed), with
    the completion file either found by bash-completion's on-demand loader
    in the unpacked root (XDG_DATA_DIRS) or sourced directly."""
    words = line.split(" ")
    script = []
    if framework:
        script += ["source %s" % BASH_COMPLETION, "_completion_loader mapsleuth"]
    else:
        script += ["source %s" % (package.root / "usr/share/bash-completion/completions/mapsleuth")]
    script += [
        "complete -p mapsleuth >&2",
        "COMP_WORDS=(%s)" % " ".join("'%s'" % w for w in words),
        "COMP_CWORD=%d" % (len(words) - 1),
        "COMP_LINE='%s'" % line,
        "COMP_POINT=%d" % len(line),
        "_mapsleuth mapsleuth '%s' '%s'" % (words[-1], words[-2]),
        "printf '%s\\n' \"${COMPREPLY[@]}\"",
    ]
    env = dict(os.environ, XDG_DATA_DIRS=str(package.root / "usr/share"))
    p = run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)], env=env, cwd=str(ROOT))
    assert p.returncode == 0, p.stderr
    assert "complete -F _mapsleuth mapsleuth" in p.stderr, p.stderr
    return [w for w in p.stdout.split("\n") if w]


@pytest.mark.parametrize("framework", [False, True], ids=["sourced", "bash-completion"])
def test_bash_completion(package, framework):
    if framework and not os.path.exists(BASH_COMPLETION):
        pytest.skip("no bash-completion package (scripts/setup.sh installs it)")
    assert _complete(package, "mapsleuth ba", framework) == ["batch"]
    assert set(_complete(package, "mapsleuth ", framework)) >= set(SUBCOMMANDS)
    assert _complete(package, "mapsleuth batch --format ", framework) == ["jsonl", "csv", "text"]
    assert _complete(package, "mapsleuth stack x --format j", framework) == ["json"]
    assert "README.md" in _complete(package, "mapsleuth info --exe READ", framework)
    for sub in SUBCOMMANDS:
        got = {w for w in _complete(package, "mapsleuth %s --" % sub, framework)}
        assert got == _long_options(sub), sub
