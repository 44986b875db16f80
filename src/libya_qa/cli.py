"""The `libya-qa` command: a thin terminal adapter over the corpus, the index builder and QA."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from .config import Settings
from .errors import QAError
from .schema import Answer


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """Build or rebuild the index and print what was done."""
    from .build import build_index
    from .corpus import load_corpus
    from .encoders import load_encoder

    articles = load_corpus(settings.corpus_dir)
    print(f"Indexing {len(articles)} articles from {settings.corpus_dir} with {settings.model} ...", file=sys.stderr)
    report = build_index(settings, load_encoder(settings.model), articles, full=args.full, progress=True)
    print(
        f"index {report.version} ({'full' if report.full else 'incremental'}, {report.index_type}): "
        f"{report.articles} articles, {report.passages} passages, {report.sentences} sentences; "
        f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {report.unchanged}; embedded {report.encoded_sentences} sentences in "
        f"{report.encode_seconds:.1f}s; total {report.seconds:.1f}s"
    )
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        for article_id in ids:
            print(f"  {label}: {article_id}")
    return 0


def render_answer(answer: Answer, color: bool) -> str:
    """Readable terminal output: status, then each quote with highlight and attribution."""
    on, off = ("\033[1;4m", "\033[0m") if color else ("«", "»")
    lines = [f"Q: {answer.question}"]
    if answer.status == "not_found":
        lines.append("Not found in the corpus." + (" Nearest passages (not an answer):" if answer.excerpts else ""))
    for n, e in enumerate(answer.excerpts, 1):
        h0, h1 = e.highlight
        quote = f"{e.quote[:h0]}{on}{e.quote[h0:h1]}{off}{e.quote[h1:]}"
        lines.append(f"\n[{n}] score {e.score:.2f}")
        lines.append(textwrap.indent(quote, "  > "))
        s = e.source
        lines.append(f"  — {s.title}, {s.author}, {s.publisher}, {s.date} ({s.url}) [{s.id} {e.start}:{e.end}]")
    lines.append(f"\n({answer.took_ms:.0f} ms)")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question in the terminal."""
    from .qa import QA

    answer = QA(settings).ask(args.question, args.top_k, args.history or [])
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_answer(answer, color=sys.stdout.isatty()))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API and the web page (building the index first if there is none)."""
    import uvicorn

    from .app import create_app
    from .index import current_version

    if current_version(settings.index_dir) is None:
        cmd_index(argparse.Namespace(full=False), settings)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Score the assistant on an evaluation file."""
    from .evaluation import evaluate, format_report, load_cases
    from .qa import QA

    report = evaluate(QA(settings), load_cases(Path(args.file)))
    print(json.dumps(report.summary(), indent=2) if args.json else format_report(report))
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    top = argparse.ArgumentParser(prog="libya-qa", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build or update the index from corpus/")
    p.add_argument("--full", action="store_true", help="rebuild every article from scratch")
    p.set_defaults(run=cmd_index)
    p = sub.add_parser("ask", help="ask a question")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--history", action="append", help="an earlier question (repeatable, oldest first)")
    p.add_argument("--json", action="store_true", help="print exactly the /ask JSON")
    p.set_defaults(run=cmd_ask)
    p = sub.add_parser("serve", help="serve the web page and the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(run=cmd_serve)
    p = sub.add_parser("eval", help="measure quality on an evaluation file (JSON lines)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_eval)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a subcommand, turning known errors into one clear line and exit code 2."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args, Settings.from_env()))
    except QAError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
