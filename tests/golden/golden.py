"""The golden outputs: what `mapsleuth analyze` prints, byte for byte, for
the corpus cases listed in cases.txt. Shared by the test
(tests/e2e/test_golden.py) and the regeneration script (regen.py).

Each case is analysed from its committed compressed files, with the case's
folder as working directory and relative paths (core.zst, ../exe.xz), so
the output does not depend on where the repository is checked out."""
import pathlib
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = ROOT / "fixtures" / "corpus"
FORMATS = {"text": "txt", "json": "json"}


def cases():
    out = []
    for line in (HERE / "cases.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def golden_path(case, fmt):
    return HERE / (case.replace("/", "__") + "." + FORMATS[fmt])


def produce(mapsleuth, case, fmt):
    """(exit code, stdout bytes, stderr text) of analyze on CASE."""
    import json
    case_dir = CORPUS / case
    truth = json.loads((case_dir / "truth.json").read_text())
    p = subprocess.run([str(mapsleuth), "analyze", truth["core"],
                        "--exe", truth["exe"], "--format", fmt],
                       cwd=case_dir, capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")
