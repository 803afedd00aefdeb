"""`rag kb`: list, create, change and remove document collections (rag.index.collections)."""

from __future__ import annotations

import argparse
import sys

from rag.config import load_settings
from rag.errors import InputError, RagError


def cmd_kb(args) -> int:
    from rag.index import collections

    settings = load_settings(**{k: getattr(args, k, None) for k in ("index_dir", "models_dir")})
    root, seeds = settings.index_dir, settings.docs_dir
    if args.action == "list":
        print(collections.listing(root, seeds))
        return 0
    if args.action == "remove":
        return _remove(args, root, seeds)
    ocr = None if args.ocr is None else args.ocr == "on"
    if args.action == "set":
        changed = collections.update(root, args.name, seeds, ocr=ocr, chunk_size=args.chunk_size)
        print(f"collection {changed.name}: settings {changed.settings}; rebuilding its index only")
        return _index(settings, changed.name)
    if not args.docs_dir:
        raise InputError(f"rag kb create {args.name} needs its documents folder: --docs DIR")
    made = collections.create(root, args.name, args.docs_dir, seeds, ocr=ocr, chunk_size=args.chunk_size)
    print(f"collection {made.name}: documents {made.docs}, index {made.index_dir(root)}")
    return 0 if args.no_index else _index(settings, made.name)


def _index(settings, name: str) -> int:
    from rag.index import collections
    from rag.index.building import build_index

    try:
        print(build_index(collections.select(settings, name)).summary())
    except RagError as exc:
        print(f"错误 / error: {exc}\ncollection {name} is registered but its index is not up to date; "
              f"once the above is fixed, run: rag index --kb {name}", file=sys.stderr)
        return exc.exit_code
    return 0


def _remove(args, root, seeds) -> int:
    from rag.index import collections

    chosen = collections.get(root, args.name, seeds)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError(f"removing collection {args.name} deletes its index (not its documents): "
                             f"confirm with: rag kb remove {args.name} --yes")
        reply = input(f"remove collection {args.name} and its index "
                      f"(documents in {chosen.docs} stay)? [y/N] ")
        if reply.strip().lower() not in {"y", "yes"}:
            print("kept")
            return 0
    collections.remove(root, args.name, seeds)
    print(f"removed collection {args.name}; its documents are still in {chosen.docs}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("kb", help="document collections: list, create, set, remove")
    root = argparse.ArgumentParser(add_help=False)
    root.add_argument("--index", dest="index_dir", help="the index root (default: index/)")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("list", parents=[root], help="name, documents, chunks, embedder, last build")
    made = actions.add_parser("create", parents=[root],
                              help="a collection from a documents folder, indexed at once")
    changed = actions.add_parser("set", parents=[root],
                                 help="change a collection's settings and rebuild its index only")
    for q in (made, changed):
        q.add_argument("name")
        q.add_argument("--ocr", choices=["on", "off"], help="read scans by OCR (default on)")
        q.add_argument("--chunk-size", dest="chunk_size", type=int, help="characters per chunk (default 300)")
    made.add_argument("--docs", dest="docs_dir", help="the collection's documents folder")
    made.add_argument("--no-index", dest="no_index", action="store_true", help="register only")
    gone = actions.add_parser("remove", parents=[root],
                              help="forget a collection and delete its index (not its documents)")
    gone.add_argument("name")
    gone.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_kb)
