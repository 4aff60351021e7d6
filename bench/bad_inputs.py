"""What happens to good inputs beside bad ones: every command over a folder of mixed files.

    python bench/bad_inputs.py

Builds a directory of good documents and bad inputs (binary, invalid UTF-8, UTF-16, CRLF, BOM, empty,
whitespace-only, a malformed JSON-lines row, a CSV without a text column, an unknown label, a 50 MB single
line, an unreadable file), runs split / classify / train / evaluate over it, and prints for each run the exit
code, the rows written and the rows expected from the good inputs: "lost" must be 0.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

GOOD_DOC = "The council said the road would reopen on Monday.\nComment: About time too.\n"


def build(folder: Path) -> dict[str, int]:
    """Write the inputs; return the number of units each good input should yield."""
    good = {}

    def put(name: str, data: bytes, units: int = 0) -> None:
        (folder / name).write_bytes(data)
        if units:
            good[name] = units

    put("good.txt", GOOD_DOC.encode(), 2)
    put("crlf.txt", GOOD_DOC.replace("\n", "\r\n").encode(), 2)
    put("bom.txt", b"\xef\xbb\xbf" + GOOD_DOC.encode(), 2)
    put("utf16.txt", GOOD_DOC.encode("utf-16"), 2)
    put("long-line.txt", ("Officials said the figures were provisional. " * 1_120_000).encode(), 1)  # ~50 MB
    put("empty.txt", b"")
    put("blank.txt", b"  \n\t\n")
    put("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    put("latin1.txt", "Caf\xe9 owners said prices rose.\n".encode("latin-1"))
    reports = ["Police said two men were held.", "The vote passed by 312 to 250.", "Shares fell 4% on Monday.",
               "The court heard evidence from six witnesses.", "The council will meet on Tuesday."]
    comments = ["This is outrageous.", "Frankly, they should all resign.", "What a shameful mess!",
                "Surely nobody believes this any more?", "It is a disgrace."]
    rows = [{"id": i, "text": t, "label": "report"} for i, t in enumerate(reports)]
    rows += [{"id": 10 + i, "text": t, "label": "comment"} for i, t in enumerate(comments)]
    put("rows.jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode(), len(rows))
    put("bad-row.jsonl", b'{"id": 1, "text": "Fine.", "label": "report"}\n{"id": 2, "text": oops}\n')
    put("no-text.csv", b"id,body\n1,Something happened.\n")
    put("unknown-label.tsv", b"text\tlabel\nThe vote passed.\tMAYBE\n")
    locked = folder / "locked.txt"
    locked.write_text("Secret.")
    locked.chmod(0)
    return good


def run(args: list[str]) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "factcomment", *args], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "inputs"
        folder.mkdir()
        good = build(folder)
        # A path that does not exist, beside the rest (as root, the chmod 0 file above is still readable).
        inputs = [str(folder / name) for name in sorted(os.listdir(folder))] + [str(folder / "missing.txt")]
        print(f"{len(inputs)} inputs: {', '.join(sorted(os.listdir(folder)))}")
        print(f"good inputs and the units each should give: {good}\n")
        for command in ("split", "classify"):
            code, out, err = run([command, *inputs, "-f", "jsonl", "-q"])
            rows = [json.loads(line) for line in out.splitlines()]
            per_file: dict[str, int] = {}
            for row in rows:
                name = Path(row["file"]).name
                per_file[name] = per_file.get(name, 0) + 1
            lost = sum(max(0, n - per_file.get(name, 0)) for name, n in good.items())
            problems = [line for line in err.splitlines() if line.startswith("factcomment: error:")]
            print(f"{command}: exit {code}; rows written {len(rows)} (expected from good inputs "
                  f"{sum(good.values())}); lost {lost}; traceback: {'Traceback' in err}")
            for line in problems:
                print(f"    {line[:160]}")
        labelled = [str(folder / n) for n in ("good.txt", "crlf.txt", "rows.jsonl", "bad-row.jsonl",
                                               "unknown-label.tsv", "binary.txt", "empty.txt")]
        code, out, err = run(["evaluate", *labelled, "--format", "json", "-q"])
        n = json.loads(out)["n"] if out else 0
        print(f"evaluate: exit {code}; texts scored {n} (expected 14 from the good labelled inputs); "
              f"traceback: {'Traceback' in err}")
        code, out, err = run(["train", *labelled, "--out", str(Path(tmp) / "m"), "--folds", "2", "-q"])
        print(f"train: exit {code}; {err.strip().splitlines()[-1] if err.strip() else ''}; "
              f"traceback: {'Traceback' in err}")


if __name__ == "__main__":
    main()
