# /etc/gdb/gdbinit.d/mapsleuth.py, from the mapsleuth package: gdb runs the
# files of its system gdbinit directory (`gdb --configuration`:
# --with-system-gdbinit-dir=/etc/gdb/gdbinit.d) at start-up, and this one
# loads mapsleuth's gdb plugin (/usr/share/mapsleuth/gdb/mapsleuth-gdb.py;
# commands `mapsleuth`, `mapsleuth goroutines`, `mapsleuth stack`, and an
# unwinder for Go's stack switches). See mapsleuth(1).
#
# To turn it off:
#   MAPSLEUTH_GDB_DISABLE=1 gdb ...    this session (any value but empty or 0)
#   gdb -nx ...                        no initialization files at all
#   rm /etc/gdb/gdbinit.d/mapsleuth.py for good: a configuration file, which
#                                      upgrades of the package leave deleted
#
# gdb runs every such file in the same namespace (__main__): one function,
# deleted after use. The plugin is found relative to this file, so the
# package unpacked elsewhere (dpkg -x) loads its own copy when this file is
# given to `gdb -ix`.


def _mapsleuth_autoload(this):
    import os

    import gdb

    if os.environ.get("MAPSLEUTH_GDB_DISABLE", "") not in ("", "0"):
        return
    # .../etc/gdb/gdbinit.d/mapsleuth.py -> the root the package is in.
    root = os.path.realpath(this)
    for _ in range(4):
        root = os.path.dirname(root)
    plugin = os.path.join(root, "usr", "share", "mapsleuth", "gdb", "mapsleuth-gdb.py")
    if not os.path.isfile(plugin):
        return  # the package was removed and this configuration file kept
    # gdb sets __file__ for a sourced script only when it is not set yet:
    # unset this file's, so that the plugin sees its own (it finds the
    # module from it), and put it back after.
    import __main__

    saved = __main__.__dict__.pop("__file__", None)
    try:
        gdb.execute("source " + plugin)
    except gdb.error as e:
        gdb.write("mapsleuth: the gdb plugin did not load (%s); MAPSLEUTH_GDB_DISABLE=1 "
                  "turns it off\n" % e, gdb.STDERR)
    finally:
        if saved is not None:
            __main__.__dict__["__file__"] = saved


_mapsleuth_autoload(__file__)
del _mapsleuth_autoload
