"""Command line: ``python -m kb build | check | search | evaluate | export-nlu``."""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import List, Optional

from kb.articles import load_articles
from kb.retriever import MODES, Retriever, ensure_index, load_retriever
from kb.settings import RetrievalSettings


def _settings(args: argparse.Namespace) -> RetrievalSettings:
    settings = RetrievalSettings.from_env()
    return replace(settings, model=args.model) if getattr(args, "model", None) else settings


def cmd_build(args: argparse.Namespace) -> int:
    settings = _settings(args)
    started = time.perf_counter()
    vectors, _, rebuilt = ensure_index(settings)
    state = "built" if rebuilt else "up to date"
    print(f"kb index {state}: {vectors.index.ntotal} vectors, model {settings.model}, "
          f"{time.perf_counter() - started:.1f}s")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Lint the articles; exit status 1 when any rule is broken."""
    from kb.check import check_articles, report

    file_count, problems = check_articles(Path(args.directory or RetrievalSettings.from_env().articles_dir))
    print(report(file_count, problems))
    return 1 if problems else 0


def cmd_search(args: argparse.Namespace) -> int:
    retriever = load_retriever(_settings(args))
    hits = retriever.search(args.query, top_k=args.top_k, mode=args.mode)
    if args.json:
        print(json.dumps([asdict(h) for h in hits], ensure_ascii=False, indent=2))
    else:
        for hit in hits:
            print(f"{hit.score:.3f}  {hit.article_id:28s} {hit.title}")
    return 0


def hit_at_1(retriever: Retriever, lines: list, mode: str) -> float:
    """Share of lines whose top article is accepted."""
    tops = [retriever.search(line.text, 1, mode) for line in lines]
    good = sum(1 for line, top in zip(lines, tops, strict=True) if top and top[0].article_id in line.kb_ids())
    return good / len(lines) if lines else 0.0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot.evalset import load_eval_lines

    labelled = [line for line in load_eval_lines(Path(args.file)) if line.kb_ids()]
    models = args.models.split(",") if args.models else [_settings(args).model]
    report: dict = {"models": {}}
    for model in models:
        retriever = load_retriever(replace(RetrievalSettings.from_env(), model=model))
        # Lines about articles this base does not hold (e.g. a smaller, older base) cannot be hit: left out.
        lines = [line for line in labelled if set(line.kb_ids()) & set(retriever.articles)]
        report.update(articles=len(retriever.articles), lines=len(lines), left_out=len(labelled) - len(lines))
        report["models"][model] = {mode: round(hit_at_1(retriever, lines, mode), 4) for mode in MODES}
    print(json.dumps(report, indent=2))
    return 0


def cmd_export_nlu(args: argparse.Namespace) -> int:
    """Write the articles' example questions as Rasa NLU examples of the routing intents."""
    from kb.nlu_export import export_nlu

    path = export_nlu(Path(args.output))
    print(f"wrote {path}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="embed the articles and persist the FAISS index")
    build.add_argument("--model")
    check = sub.add_parser("check", help="lint the articles (format, questions, related ids, duplicates)")
    check.add_argument("--directory", help="articles directory (default: KB_ARTICLES_DIR or kb/articles)")
    search = sub.add_parser("search", help="retrieve the best articles for a question")
    search.add_argument("query")
    search.add_argument("--top-k", type=int, default=3)
    search.add_argument("--mode", choices=MODES, default="hybrid")
    search.add_argument("--json", action="store_true")
    search.add_argument("--model")
    evaluate = sub.add_parser("evaluate", help="hit@1 of dense, lexical and hybrid retrieval on a TSV")
    evaluate.add_argument("file")
    evaluate.add_argument("--models", help="comma-separated model specs to compare")
    export = sub.add_parser("export-nlu", help="write KB example questions as NLU training data")
    export.add_argument("--output", default="data/nlu/kb_questions.yml")
    args = parser.parse_args(argv)
    if args.command != "check":
        # Fail early, with the file name, on a malformed article.
        load_articles(RetrievalSettings.from_env().articles_dir)
    handlers = {"build": cmd_build, "check": cmd_check, "search": cmd_search, "evaluate": cmd_evaluate,
                "export-nlu": cmd_export_nlu}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
