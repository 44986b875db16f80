"""The `libya-qa` command: a thin terminal adapter over the corpus, the index builder and QA."""

from __future__ import annotations

import argparse
import errno
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import BadQuestion, QAError
from .schema import Answer, Excerpt, Filters, known

if TYPE_CHECKING:
    from .build import BuildReport

RELATED_LINE = "Related passages (they may not answer the question):"  # the page's "Related passages" heading


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """Build or rebuild the index (or roll back to the previous version) and print what was done."""
    from .encoders import encoder_for
    from .sources import rebuild, roll_back

    if getattr(args, "address", None) and args.engine != "ray":
        raise QAError("bad_option", "--address names a Ray cluster: use it with --engine ray")
    if getattr(args, "rollback", False):
        old, new = roll_back(settings)
        print(f"current index is now {new} (was {old}); a running server switches within a second")
        return 0
    print(f"Indexing {settings.corpus_dir} with {settings.model} ...", file=sys.stderr)
    if getattr(args, "engine", "local") == "ray":
        report = _rebuild_on_ray(args, settings)
    else:
        report = rebuild(settings, encoder_for(settings, questions=False), full=args.full, progress=True)
    print(
        f"index {report.version} ({'full' if report.full else 'incremental'}, {report.index_type}): "
        f"{report.articles} articles, {report.passages} passages, {report.sentences} sentences; "
        f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {report.unchanged}; embedded {report.encoded_sentences} sentences in "
        f"{report.encode_seconds:.1f}s; total {report.seconds:.1f}s"
    )
    for note in report.notes:
        print(f"note: {note}")
    if report.relabelled:
        print(f"metadata only (nothing embedded): {len(report.relabelled)}")
    for label, ids in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
        ("metadata", report.relabelled),
    ):
        for article_id in ids:
            print(f"  {label}: {article_id}")
    return 0


def _rebuild_on_ray(args: argparse.Namespace, settings: Settings) -> BuildReport:
    """The same build, with the changed sentences embedded by a Ray actor pool (imported only here)."""
    from .ray_engine import ray_encoder
    from .sources import rebuild

    with ray_encoder(settings, args.address) as (encoder, cluster):
        print(
            f"Embedding on Ray {cluster.ray_version} ({cluster.address}): {cluster.nodes} node(s), "
            f"{cluster.cpus} CPUs, {encoder.actors} actors",
            file=sys.stderr,
        )
        report = rebuild(settings, encoder, full=args.full, progress=True)
    if run := encoder.last_run:
        print(
            f"Ray: {run.texts} sentences in {run.batches} batches on {run.actors} actors; embedding "
            f"{run.embedding_seconds:.1f}s of {run.seconds:.1f}s (the rest is actor start-up)",
            file=sys.stderr,
        )
    return report


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add files, folders and URLs to the corpus, one normalised article each."""
    from .ingest import Metadata, collect_sources, fetch_url, is_url, read_path
    from .sources import NEXT_STEP, add_source

    overrides = Metadata(
        title=args.title, author=args.author, publisher=args.publisher, date=args.date, url=args.url, id=args.id
    )
    targets, skipped = collect_sources(args.paths)
    if len(targets) > 1 and (args.title or args.url or args.id):
        raise QAError("bad_metadata", "--title, --url and --id describe one article: add that source on its own")
    failures = 0
    for target in targets:
        try:
            extracted = fetch_url(target, overrides) if is_url(target) else read_path(Path(target), overrides)
            result = add_source(settings, extracted, replace_existing=args.replace)
        except QAError as exc:
            failures += 1
            print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
            continue
        print(f"{result.action} {result.article.id} ({result.path}) from {target}")
        if args.replace and result.action == "added":
            print("  --replace: no article had that id or url, so it was added as a new one")
        if result.missing:
            flags = ", ".join(f"--{name}" for name in result.missing)
            print(
                f"  missing metadata, written as unknown: {', '.join(result.missing)} (pass {flags} "
                f"with --replace, or edit the file)"
            )
    for path in skipped:
        print(f"skipped {path}: not a supported file type", file=sys.stderr)
    if failures < len(targets):
        print(NEXT_STEP)
    return 2 if failures else 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove articles from the corpus (the next index build drops them)."""
    from .sources import NEXT_STEP, remove_source

    failures = 0
    for article_id in args.ids:  # like add: each id on its own, the others still removed
        try:
            print(f"removed {article_id} ({remove_source(settings, article_id)})")
        except QAError as exc:
            failures += 1
            print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
    if failures < len(args.ids):
        print(NEXT_STEP)
    return 2 if failures else 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    """List the corpus: id, title, date, passages and whether the current index has it."""
    from .sources import list_sources, serving_problem

    rows = list_sources(settings)
    problem = serving_problem(settings)
    if problem:
        print(f"warning: the current index cannot be served ({problem.code}): {problem.message}", file=sys.stderr)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return 0
    width = max([len(r.id) for r in rows] + [2])
    print(f"{'ID':<{width}}  {'DATE':<10} {'PASSAGES':>8}  {'STATUS':<11}  TITLE")
    for r in rows:
        title = r.title if len(r.title) <= 60 else r.title[:59] + "…"
        print(f"{r.id:<{width}}  {r.date:<10} {r.passages:>8}  {r.status:<11}  {title}")
    in_corpus = [r for r in rows if not r.status.startswith("removed")]
    print(f"{len(in_corpus)} articles in the corpus, {sum(r.status == 'indexed' for r in rows)} indexed as they are")
    return 0


def render_answer(answer: Answer, color: bool) -> str:
    """Readable terminal output: status, then each quote with highlight and attribution."""
    lines = [f"Q: {answer.question}"]
    if answer.short_answer:
        lines.append("Short answer: " + " · ".join(s.text for s in answer.short_answer))
    if answer.filtered is not None:
        lines.append(_filtered_line(answer))
    if answer.status == "not_found":
        reason = answer.message or "Not found in the corpus."
        lines.append(
            reason if answer.message else reason + (" Nearest passages (not an answer):" if answer.excerpts else "")
        )
    else:
        lines.append(f"Confidence that the first quote answers: {answer.confidence:.0%}")
    lines += _ranked_lines(answer, color)
    if answer.groups is not None:
        lines.append(f"\nWhat each source says ({len(answer.groups)} source(s) bear on the question, oldest first):")
        for g in answer.groups:
            for n, e in enumerate(g.excerpts, 1):
                lines += _excerpt_lines(f"[{g.source.id} {n}] strength {e.confidence:.0%}", e, color)
    lines.append(f"\n({answer.took_ms:.0f} ms)")
    return "\n".join(lines)


def _ranked_lines(answer: Answer, color: bool) -> list[str]:
    """Each quote numbered in the answer's order; in an answer, the related ones last under their own line."""
    bearing = [e for e in answer.excerpts if not answer.lists_as_related(e)]
    related = [e for e in answer.excerpts if answer.lists_as_related(e)]
    lines: list[str] = []
    for n, e in enumerate(bearing + related, 1):
        if n == len(bearing) + 1:
            lines.append(f"\n{RELATED_LINE}")
        lines += _excerpt_lines(f"[{n}] strength {e.confidence:.0%}", e, color)
    return lines


def _filtered_line(answer: Answer) -> str:
    """How the filters narrowed the corpus, as one line."""
    assert answer.filtered is not None
    undated = answer.filtered.undated_left_out
    note = f"; {undated} left out because their date is unknown" if undated else ""
    return f"(filtered: {answer.filtered.articles} article(s){note})"


def _excerpt_lines(label: str, e: Excerpt, color: bool) -> list[str]:
    """One quote with every answering span marked, then its attribution."""
    on, off = ("\033[1;4m", "\033[0m") if color else ("«", "»")
    quote, last = "", 0
    for h0, h1 in sorted(e.highlights or (e.highlight,)):
        quote += f"{e.quote[last:h0]}{on}{e.quote[h0:h1]}{off}"
        last = h1
    quote += e.quote[last:]
    s = e.source
    cited = ", ".join(
        (
            known(s.title, "untitled"),
            known(s.author, "author unknown"),
            known(s.publisher, "publisher unknown"),
            known(s.date, "date unknown"),
        )
    )
    # every line marked, blank ones too: a quote may span a paragraph break
    return [
        f"\n{label}",
        textwrap.indent(quote, "  > ", lambda _: True),
        f"  — {cited} ({known(s.url, 'link unknown')}) [{s.id} {e.start}:{e.end}]",
    ]


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question in the terminal."""
    from .qa import QA

    filters = Filters(
        tuple(args.source or ()),
        tuple(args.publisher or ()),
        tuple(args.author or ()),
        args.since or "",
        args.until or "",
    )
    try:
        answer = QA(settings).ask(
            args.question, args.top_k, args.history or [], filters, "source" if args.by_source else None
        )
    except BadQuestion as exc:  # the one entry point speaks the API's field names; say the flags here
        raise BadQuestion(exc.code, in_flags(exc.message)) from None
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_answer(answer, color=sys.stdout.isatty()))
    return 0


FLAG_NAMES = {
    "filters.date_from": "--since",
    "filters.date_to": "--until",
    "filters.sources": "--source",
    "filters.publishers": "--publisher",
    "filters.authors": "--author",
    "GET /sources": "`libya-qa sources`",
    "top_k": "--top-k",
}


def in_flags(message: str) -> str:
    """An error message with the API's field names replaced by this command's flags."""
    for field, flag in FLAG_NAMES.items():
        message = message.replace(field, flag)
    return message


def port_number(text: str) -> int:
    """--port: a TCP port, 0 (any free one) to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 0 to 65535")
    return int(text)


def check_listenable(host: str, port: int) -> None:
    """Refuse a host this machine cannot listen on, or a port another program holds, in one clear line."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        taken = exc.errno == errno.EADDRINUSE
        raise QAError(
            "port_in_use" if taken else "cannot_listen",
            f"port {port} on {host} is in use: stop the other server or pass --port"
            if taken
            else f"cannot listen on {host}:{port} ({exc.strerror or exc}): pass --host 127.0.0.1 or 0.0.0.0",
        ) from None


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API and the web page (building the index first if there is none)."""
    from .api.server import run
    from .app import create_app
    from .index import FORMAT
    from .qa import QA
    from .stores import open_store

    check_listenable(args.host, args.port)  # before the model loads: a port in use is one line, not server logs
    store = open_store(settings)
    manifest = store.manifest() or {}
    if store.current_version() is None:
        cmd_index(argparse.Namespace(full=False, engine="local"), settings)
    elif manifest.get("format", FORMAT) != FORMAT:  # made by an older release, unreadable now: rebuild once
        print(f"the index in {settings.index_dir.name}/ has an older format; rebuilding it", file=sys.stderr)
        cmd_index(argparse.Namespace(full=True, engine="local"), settings)
    elif older_analyser(manifest):  # still servable: a rebuild of a large corpus is the operator's call
        print(
            f"warning: the index in {settings.index_dir.name}/ was made by an older keyword analyser; it is "
            "served, but run `libya-qa index --full` so its keywords read as questions now do",
            file=sys.stderr,
        )
    qa = QA(settings)  # before the server starts, so a start-up failure is one line here, not a lifespan traceback
    run(create_app(settings, qa), settings, args.host, args.port)
    return 0


def older_analyser(manifest: dict[str, Any]) -> bool:
    """True when another keyword analyser stored the index's passage terms ("organisation" would not meet
    "organization" in them); the vectors are the same, so the index still serves."""
    from .analysis import ANALYSIS

    return manifest.get("chunking", {}).get("analysis", ANALYSIS) != ANALYSIS


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Score the assistant on an evaluation file."""
    from .evaluation import evaluate, format_report, load_cases
    from .qa import QA

    every = load_cases(Path(args.file))
    cases = [c for c in every if not args.split or c.split == args.split]
    if not cases:  # a table of zeros would read as a measurement
        splits = ", ".join(sorted({c.split for c in every if c.split})) or "none"
        raise QAError(
            "no_eval_cases",
            f"{args.file} holds no questions" + (f" of split {args.split} (its splits: {splits})" if every else ""),
        )
    report = evaluate(QA(settings), cases)
    if args.json:
        print(
            json.dumps(
                {
                    split or "all": {**report.summary(split), "reliability": report.reliability(split)}
                    for split in report.splits()
                },
                indent=2,
            )
        )
    else:
        print(format_report(report, list_held_out=args.list_test_misses))
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    top = argparse.ArgumentParser(prog="libya-qa", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    from .ingest import FETCH_TIMEOUT, MAX_SOURCE_BYTES

    p = sub.add_parser("index", help="build or update the index from corpus/")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--full", action="store_true", help="rebuild every article from scratch")
    how.add_argument("--rollback", action="store_true", help="make the previous index version current again")
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="embed in this process (default) or on a Ray cluster (needs the [scale] extra)",
    )
    p.add_argument(
        "--address",
        help="with --engine ray: a running cluster's HOST:PORT (or auto); "
        "default: a local cluster sized to this machine",
    )
    p.set_defaults(run=cmd_index)
    p = sub.add_parser(
        "add",
        help="add articles: .txt, .md, .html or .pdf files, folders of them, or URLs",
        description=f"Add each source to corpus/ as a normalised article (sources over "
        f"{MAX_SOURCE_BYTES >> 20} MiB are refused; URLs time out after {FETCH_TIMEOUT:g} s). "
        "Flags override extracted metadata; missing metadata is written as unknown.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    for name in ("title", "author", "publisher", "date", "url", "id"):
        p.add_argument(f"--{name}", help="date as YYYY-MM-DD" if name == "date" else None)
    p.add_argument("--replace", action="store_true", help="replace an existing article with the same id or url")
    p.set_defaults(run=cmd_add)
    p = sub.add_parser("remove", help="remove articles from the corpus (and from the next index)")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.set_defaults(run=cmd_remove)
    p = sub.add_parser("sources", help="list the corpus and what the index holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_sources)
    p = sub.add_parser("ask", help="ask a question")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--history", action="append", help="an earlier question (repeatable, oldest first)")
    p.add_argument("--source", action="append", metavar="ID", help="answer only from this article (repeatable)")
    p.add_argument("--publisher", action="append", help="answer only from this publisher (repeatable)")
    p.add_argument("--author", action="append", help="answer only from this author (repeatable)")
    p.add_argument("--since", metavar="DATE", help="articles dated on or after YYYY[-MM[-DD]] (unknown dates left out)")
    p.add_argument("--until", metavar="DATE", help="articles dated on or before YYYY[-MM[-DD]]")
    p.add_argument("--by-source", action="store_true", help="also show what each source says, oldest first")
    p.add_argument("--json", action="store_true", help="print exactly the /ask JSON")
    p.set_defaults(run=cmd_ask)
    p = sub.add_parser("serve", help="serve the web page and the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port_number, default=8000, help="0 picks a free port")
    p.set_defaults(run=cmd_serve)
    p = sub.add_parser("eval", help="measure quality on an evaluation file (JSON lines)")
    p.add_argument("file")
    p.add_argument("--split", choices=("dev", "test"), help="only the questions of one split")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--list-test-misses", action="store_true", help="list the test split's misses too (they are only counted)"
    )
    p.set_defaults(run=cmd_eval)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a subcommand, turning known errors into one clear line and exit code 2."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args, Settings.from_env()))
    except QAError as exc:
        if getattr(args, "json", False):  # a script reading --json output gets the API's error shape too
            print(json.dumps(exc.to_dict(), ensure_ascii=False))
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:  # the file system refused (a folder that cannot be made, a read-only disk): say where
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error [io_error]: {exc.strerror or exc}{where}; check the path and its permissions", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
