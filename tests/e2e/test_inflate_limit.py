"""--max-inflate: a compressed core that inflates to more than the limit
stops with a one-line error (exit 1), and leaves nothing in the temporary
directory; in batch it is one failed result among the others."""
import json
import os
import subprocess

from conftest import CASES, run, unpacked_paths


def bomb(tmp_path):
    """A real core's first 64 KiB, then 64 MiB of non-zero bytes, zstd
    compressed (to well under a megabyte)."""
    _, case_dir, truth = CASES[0]
    core, _ = unpacked_paths(case_dir, truth)
    raw = tmp_path / "core"
    with open(core, "rb") as f:
        head = f.read(65536)
    with open(raw, "wb") as f:
        f.write(head)
        block = bytes((i * 7 + 1) % 251 + 1 for i in range(1 << 20))
        for _ in range(64):
            f.write(block)
    subprocess.run(["zstd", "-q", "--rm", "-3", str(raw)], check=True)
    z = tmp_path / "core.zst"
    assert z.stat().st_size < (1 << 20)
    return z


def env_with_tmpdir(d):
    d.mkdir()
    return dict(os.environ, TMPDIR=str(d))


def test_a_core_past_the_limit_is_a_one_line_error(tmp_path):
    z = bomb(tmp_path)
    tmp = tmp_path / "tmp"
    env = env_with_tmpdir(tmp)
    from conftest import mapsleuth_bin
    for sub in ("info", "analyze"):
        p = subprocess.run([mapsleuth_bin(), sub, str(z), "--max-inflate", "8M"],
                           capture_output=True, text=True, env=env, timeout=120)
        assert p.returncode == 1, (sub, p.stderr)
        lines = p.stderr.splitlines()
        assert len(lines) == 1, p.stderr
        assert str(z) in lines[0]
        assert "inflates to more than 8388608 bytes" in lines[0], lines[0]
        assert list(tmp.iterdir()) == []
    # A larger limit gets past inflation (what follows is another story:
    # the core's tail is garbage).
    p = subprocess.run([mapsleuth_bin(), "info", str(z), "--max-inflate",
                        "128M"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert "inflates to more than" not in p.stderr
    assert list(tmp.iterdir()) == []


def test_batch_reports_it_among_the_others(tmp_path):
    d = tmp_path / "cores"
    d.mkdir()
    (d / "a").mkdir()
    os.rename(bomb(tmp_path), d / "a" / "core.zst")
    p = run(["batch", d, "--max-inflate", "8M"])
    assert p.returncode == 1, p.stderr
    (line,) = [json.loads(l) for l in p.stdout.splitlines()]
    assert line["exit"] == 1 and "inflates to more than" in line["error"]


def test_bad_sizes_are_usage_errors(tmp_path):
    for bad in ("12X", "0", "-5", "G"):
        p = run(["info", tmp_path, "--max-inflate", bad])
        assert p.returncode == 2, (bad, p.stderr)
        assert "--max-inflate" in p.stderr
