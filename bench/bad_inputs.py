"""What happens to good inputs beside bad ones: every command over a folder of mixed files.

    python bench/bad_inputs.py

Builds a directory of good documents and bad inputs (binary, invalid UTF-8, UTF-16, CRLF, BOM, empty,
whitespace-only, a malformed JSON-lines row, a CSV without a text column, an unknown label, a 50 MB single
line, an unreadable file), runs split / classify over it, then the other classes of bad input one at a time
(a file name that is not UTF-8, stdin closed, CSV with an unclosed quote or a bad byte, UTF-16/32 rows, a
folder named twice, outputs that are devices, inputs, full or never written, a --glob leaving the folder, an
edited model, train with a missing input or into a folder of notes). It prints a table: the exit code, the
rows kept and lost from the good inputs ("lost" must be 0), whether a traceback was printed, and the
temporary files left behind ("litter", must be none).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
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


def run(args: list[str], stdin: int | None = None, stdout: str | None = None,
        close_stdin: bool = False) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    sink = open(stdout, "w") if stdout else subprocess.PIPE
    try:
        done = subprocess.run([sys.executable, "-m", "factcomment", *args], stdin=stdin, stdout=sink,
                              stderr=subprocess.PIPE, env=env, timeout=600,
                              preexec_fn=(lambda: os.close(0)) if close_stdin else None)
    finally:
        if stdout:
            sink.close()
    out = done.stdout.decode("utf-8", "backslashreplace") if done.stdout else ""
    return done.returncode, out, done.stderr.decode("utf-8", "backslashreplace")


def litter(root: Path) -> list[str]:
    """factcomment temporaries anywhere under ``root``."""
    return [str(p.relative_to(root)) for p in root.rglob("*") if re.match(r"^\..+\.fc\d+-[^.]+\.(part|tmp)$", p.name)]


def json_rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def kept_and_lost(rows: list[dict], good: dict[str, int]) -> tuple[int, int]:
    per_file: dict[str, int] = {}
    for row in rows:
        name = Path(row["file"]).name
        per_file[name] = per_file.get(name, 0) + 1
    kept = sum(min(n, per_file.get(name, 0)) for name, n in good.items())
    return kept, sum(good.values()) - kept


def cases(tmp: Path, folder: Path, good: dict[str, int]) -> list[tuple]:
    """Each case: (name, args, expected good rows {file: n}, where rows go, extra run() options)."""
    inputs = [str(folder / name) for name in sorted(os.listdir(folder))] + [str(folder / "missing.txt")]
    odd = tmp / "odd"
    odd.mkdir()
    (odd / "b.txt").write_text("Second file.\n")
    with open(os.fsencode(odd) + b"/\xff.txt", "wb") as stream:
        stream.write(b"Hello there.\n")
    rows = tmp / "rows"
    rows.mkdir()
    (rows / "unterminated.csv").write_bytes(b'id,text\n1,Fine.\n2,"Never closed.\n3,Swallowed.\n')
    (rows / "bad-byte.csv").write_bytes(b'id,text\n1,Fine.\n2,Caf\xe9.\n3,Also fine.\n4,"Multi\nline."\n')
    (rows / "utf16.jsonl").write_bytes("".join(json.dumps({"id": i, "text": f"Row {i}."}) + "\n"
                                               for i in range(3)).encode("utf-16"))
    (rows / "utf32.csv").write_bytes("id,text\n1,One.\n2,Two.\n".encode("utf-32"))
    (tmp / "notes").mkdir()
    (tmp / "notes" / "README.md").write_text("mine")
    model = tmp / "model"
    labelled = [str(folder / n) for n in ("good.txt", "crlf.txt", "rows.jsonl")]
    run(["train", *labelled, "--out", str(model), "--folds", "2", "-q"])
    edited = tmp / "edited-model"
    shutil.copytree(model, edited)
    scorer = json.loads((edited / "scorer.json").read_text())
    scorer["threshold"] = 5
    raw = json.dumps(scorer).encode()
    (edited / "scorer.json").write_bytes(raw)
    card = json.loads((edited / "card.json").read_text())
    card["files"]["scorer.json"]["sha256"] = hashlib.sha256(raw).hexdigest()
    (edited / "card.json").write_text(json.dumps(card))
    (tmp / "in.txt").write_text(GOOD_DOC)
    out = str(tmp / "out.jsonl")
    seeds = {"good.txt": 2}
    return [
        ("split: mixed folder", ["split", *inputs, "-f", "jsonl", "-q"], good, None, {}),
        ("classify: mixed folder", ["classify", *inputs, "-f", "jsonl", "-q"], good, None, {}),
        ("classify --jobs 2: mixed folder", ["classify", *inputs, "-f", "jsonl", "-q", "-j", "2"], good, None, {}),
        ("classify: file name not UTF-8", ["classify", str(odd), "-f", "jsonl"], {"b.txt": 1, "\\xff.txt": 1},
         None, {}),
        ("classify: stdin closed", ["classify", str(folder / "good.txt"), "-", "-f", "jsonl"], seeds, None,
         {"close_stdin": True}),
        ("classify: CSV unclosed quote, bad byte", ["classify", str(rows / "unterminated.csv"),
                                                      str(rows / "bad-byte.csv"), "-f", "jsonl", "--skip-bad-rows"],
         {"unterminated.csv": 1, "bad-byte.csv": 3}, None, {}),
        ("classify: UTF-16 JSON lines, UTF-32 CSV", ["classify", str(rows / "utf16.jsonl"), str(rows / "utf32.csv"),
                                                    "-f", "jsonl"], {"utf16.jsonl": 3, "utf32.csv": 2}, None, {}),
        ("classify: a folder named twice", ["classify", str(odd), str(odd), "-f", "jsonl"],
         {"b.txt": 1, "\\xff.txt": 1}, None, {}),
        ("classify: -o /dev/null", ["classify", str(folder / "good.txt"), "-o", "/dev/null"], {}, None, {}),
        ("classify: -o an input", ["classify", str(tmp / "in.txt"), "-o", str(tmp / "in.txt"), "--force"], {},
         None, {}),
        ("classify: nothing readable, -o", ["classify", str(tmp / "nonexistent"), "-o", out], {}, out, {}),
        ("classify: stdout is /dev/full", ["classify", str(folder / "good.txt"), "-f", "jsonl"], {}, None,
         {"stdout": "/dev/full"}),
        ("classify: --glob ../*.txt", ["classify", str(folder), "--glob", "../*.txt"], {}, None, {}),
        ("classify: edited scorer, hash updated", ["classify", str(folder / "good.txt"), "-m", str(edited)], {},
         None, {}),
        ("train: an input missing", ["train", *labelled, str(tmp / "shared" / "train_en.tsv"), "--out", str(model),
                                     "--force", "--folds", "2", "-q"], {}, None, {}),
        ("train: --out a folder of notes", ["train", *labelled, "--out", str(tmp / "notes"), "--force", "-q"], {},
         None, {}),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        folder = tmp / "inputs"
        folder.mkdir()
        good = build(folder)
        print(f"{len(os.listdir(folder))} inputs in the mixed folder (+ a missing path): "
              f"{', '.join(sorted(os.listdir(folder)))}")
        print(f"good inputs there and the units each should give: {good}\n")
        model_card = None
        header = f"{'case':42} {'exit':>4} {'kept':>5} {'lost':>5} {'traceback':>9}  litter / note"
        print(header)
        print("-" * len(header))
        for case, args, expected, written, options in cases(tmp, folder, good):
            if case.startswith("train: an input missing"):
                model_card = (tmp / "model" / "card.json").read_bytes()
            code, out, err = run(args, **options)
            if written and os.path.exists(written):
                out = Path(written).read_text()
            kept, lost = kept_and_lost(json_rows(out) if out.startswith("{") else [], expected)
            left = litter(tmp)
            note = err.strip().splitlines()[-1][:90] if err.strip() else ""
            if written:
                note = f"output file left: {os.path.exists(written)}; {note}"
            if model_card is not None:
                note = f"model unchanged: {(tmp / 'model' / 'card.json').read_bytes() == model_card}; {note}"
                model_card = None
            print(f"{case:42} {code:>4} {kept:>5} {lost:>5} {str('Traceback' in err):>9}  "
                  f"{', '.join(left) or 'none'} / {note}")
        labelled = [str(folder / n) for n in ("good.txt", "crlf.txt", "rows.jsonl", "bad-row.jsonl",
                                               "unknown-label.tsv", "binary.txt", "empty.txt")]
        code, out, err = run(["evaluate", *labelled, "--format", "json", "-q"])
        n = json.loads(out)["n"] if out else 0
        print(f"\nevaluate: exit {code}; texts scored {n} (expected 14 from the good labelled inputs); "
              f"traceback: {'Traceback' in err}")


if __name__ == "__main__":
    main()
