"""``workforce-guide``: run the bot, chat in the terminal, check content, search, export."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from bot import logs
from bot.config import Settings, SettingsError, Webhook
from bot.loading import ContentError, Guide, load_guide
from bot.search import SearchIndex
from bot.search_cli import add_search_arguments, run_search
from storage import Store, StoreUnavailable, write_csv
from storage.lock import AlreadyRunning, only_copy


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="workforce-guide",
        description="LD&A Workforce Guide: a Telegram bot for council workforce self-evaluation.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the bot on Telegram (TELEGRAM_BOT_TOKEN), or chat in the terminal without one",
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="receive updates at this public https:// address instead of polling "
        "(needs WORKFORCE_GUIDE_WEBHOOK_SECRET; see docs/deploy.md)",
    )
    run.add_argument(
        "--listen",
        metavar="ADDRESS",
        help="with --webhook: the address to listen on (default 127.0.0.1, or "
        "WORKFORCE_GUIDE_WEBHOOK_LISTEN)",
    )
    run.add_argument(
        "--port",
        type=int,
        help="with --webhook: the port to listen on (default 8443, or "
        "WORKFORCE_GUIDE_WEBHOOK_PORT)",
    )
    commands.add_parser("chat", help="chat with the bot in this terminal (no Telegram needed)")
    check = commands.add_parser("check", help="check content and flow files; list every problem")
    _add_folders(check)
    search = commands.add_parser("search", help="search the resource catalogue")
    _add_folders(search)
    add_search_arguments(search)
    export = commands.add_parser(
        "export", help="write answers to a CSV file: everyone's, or one team round's"
    )
    export.add_argument(
        "--out", required=True, type=Path, help="the CSV file to write ('-' for stdout)"
    )
    export.add_argument("--round", type=int, help="one team round's id (see 'rounds')")
    export.add_argument(
        "--kind",
        choices=("ratings", "summary"),
        default="ratings",
        help="ratings: one row per answer (default); summary: one row per statement of a round",
    )
    commands.add_parser("rounds", help="list team rounds with their ids, organisations and counts")
    commands.add_parser(
        "dead-letters", help="list updates set aside because they could not be read or kept failing"
    )
    backup = commands.add_parser(
        "backup", help="copy the database to FILE, safely even while the bot runs"
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    gaps = commands.add_parser(
        "search-gaps", help="list searches that found nothing, most common first"
    )
    gaps.add_argument("--limit", type=int, default=50, help="how many to list (default 50)")
    # Its options live with the benchmark (bench/load.py): `workforce-guide bench --help`.
    commands.add_parser(
        "bench", add_help=False, help="load benchmark: simulated people through the real bot"
    )
    return parser


def _add_folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", type=Path, help="a content folder (default: the shipped one)")
    parser.add_argument("--flows", type=Path, help="a flows folder (default: the shipped one)")


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run a subcommand and return its exit code."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    # python-telegram-bot 22 warns on every 429 unless durations are timedeltas (its coming
    # default); nothing here reads them as numbers.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "bench":
        from bench.load import main as bench_main  # only the benchmark needs bench/

        return bench_main(extra, stdout)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        settings = Settings.from_env(os.environ if environ is None else environ)
    except SettingsError as error:
        print(f"workforce-guide: {error}", file=stderr)
        return 2
    try:
        return _dispatch(args, settings, stdin, stdout, stderr)
    except ContentError as error:
        print(error, file=stderr)
        print("Fix these and try again: the bot will not start with broken content.", file=stderr)
        # `check` found problems (1, as linters do); a refused start is like a bad setting
        # (2): trying again, as a service manager would, cannot help.
        return 1 if args.command in ("check", "search") else 2
    except StoreUnavailable as error:
        print(
            f"workforce-guide: {error}. Check WORKFORCE_GUIDE_DB, and run this as the user "
            "that owns the database (e.g. sudo -u workforce-guide ...).",
            file=stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(
    args: argparse.Namespace, settings: Settings, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> int:
    if args.command == "check":
        guide = _guide(args, settings)
        content = guide.content
        print(
            f"OK: {len(content.statements)} statements, {len(content.resources)} resources, "
            f"{len(content.topics)} topics, {len(guide.flows)} flow(s); no problems found.",
            file=stdout,
        )
        return 0
    if args.command == "search":
        guide = _guide(args, settings)
        index = SearchIndex.build(guide.content.resources, guide.content.vocabulary)
        return run_search(args, index, stdout, stdin)
    if args.command == "export":
        if args.round is not None or args.kind == "summary":
            return _export_round(args, settings, stdout, stderr)
        return _export(args.out, settings, stdout, stderr)
    if args.command == "rounds":
        return _rounds(settings, stdout, stderr)
    if args.command == "dead-letters":
        return _dead_letters(settings, stdout, stderr)
    if args.command == "search-gaps":
        return _search_gaps(args.limit, settings, stdout, stderr)
    if args.command == "backup":
        return _backup(args.file, args.force, settings, stdout, stderr)
    webhook = None
    if args.command == "run" and args.webhook is not None:
        try:
            webhook = settings.webhook(args.webhook, listen=args.listen, port=args.port)
        except SettingsError as error:
            print(f"workforce-guide: {error}", file=stderr)
            return 2
    elif args.command == "run" and (args.listen is not None or args.port is not None):
        print("workforce-guide: --listen and --port go with --webhook URL", file=stderr)
        return 2
    if args.command == "run" and not settings.token and not stdin.isatty():
        # Without a token `run` is the terminal chat, which needs a person at a terminal; under
        # systemd or cron it would read nothing and exit 0 as if all was well.
        print(
            "workforce-guide: TELEGRAM_BOT_TOKEN is not set, so there is no bot to run. Set it "
            "to the token from BotFather (to chat in a terminal instead: workforce-guide chat).",
            file=stderr,
        )
        return 2
    logs.configure(settings.log_level, settings.token)
    if args.command == "run" and settings.token:
        try:
            with only_copy(settings.database):
                return _run_telegram(settings, stderr, webhook)
        except AlreadyRunning as error:
            print(
                f"workforce-guide: {error}. Two copies would answer people twice or not at "
                "all: stop the other one first.",
                file=stderr,
            )
            return 2
    from bot.terminal import chat_in_terminal

    return asyncio.run(chat_in_terminal(settings, stdin, stdout))


def _guide(args: argparse.Namespace, settings: Settings) -> Guide:
    return load_guide(args.content or settings.content_dir, args.flows or settings.flows_dir)


def _run_telegram(settings: Settings, stderr: TextIO, webhook: Webhook | None = None) -> int:
    from telegram import Update
    from telegram.error import InvalidToken, TelegramError

    from bot.telegram.app import build_application
    from bot.telegram.durable import DurableApplication
    from bot.telegram.webhook import WebhookError, run_webhook

    application = build_application(settings)
    assert isinstance(application, DurableApplication)
    try:
        if webhook is None:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
        else:
            run_webhook(application, webhook)
    except WebhookError as error:
        print(error, file=stderr)
        return 1
    except InvalidToken:
        # python-telegram-bot's message quotes the token itself: never print it.
        print("Telegram rejected TELEGRAM_BOT_TOKEN: check it with BotFather.", file=stderr)
        return 2
    except TelegramError as error:
        message = str(error).replace(settings.token or "", logs.REDACTED)
        where = settings.base_url or "https://api.telegram.org"
        print(
            f"Could not reach Telegram at {where}: {message}. Check the server's network "
            "connection (and TELEGRAM_BASE_URL, if set).",
            file=stderr,
        )
        return 1
    return 0


def _export(out: Path, settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    if _missing_database(settings, stderr):
        return 1
    guide = load_guide(settings.content_dir, settings.flows_dir)
    titles, labels = guide.content.statement_titles(), guide.content.rating_labels()
    with Store.open(settings.database) as store:
        rows = store.export_rows()
    if str(out) == "-":
        write_csv(rows, stdout, statement_titles=titles, rating_labels=labels)
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig writes the BOM Excel needs to read the file as UTF-8; newline="" lets csv
    # write its own CRLF line ends.
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        count = write_csv(rows, handle, statement_titles=titles, rating_labels=labels)
    print(f"Wrote {_count(count, 'answer')} to {out}", file=stdout)
    return 0


def _export_round(
    args: argparse.Namespace, settings: Settings, stdout: TextIO, stderr: TextIO
) -> int:
    if args.round is None:
        print("--kind summary needs --round ID (see 'workforce-guide rounds').", file=stderr)
        return 2
    if _missing_database(settings, stderr):
        return 1
    from bot.team import Teams

    guide = load_guide(settings.content_dir, settings.flows_dir)
    with Store.open(settings.database) as store:
        round_ = store.round(args.round)
        if round_ is None:
            print(f"No team round with id {args.round}. See 'workforce-guide rounds'.", file=stderr)
            return 1
        teams = Teams(store, guide.content, settings.admins)
        data = teams.summary_csv(round_) if args.kind == "summary" else teams.ratings_csv(round_)
    if str(args.out) == "-":
        stdout.write(data.decode("utf-8-sig"))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    rows = data.decode("utf-8-sig").count("\r\n") - 1
    written = _count(rows, "row")
    print(f"Wrote {written} ({args.kind}) of round {round_.id} to {args.out}", file=stdout)
    return 0


def _rounds(settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    if _missing_database(settings, stderr):
        return 1
    with Store.open(settings.database) as store:
        rounds = store.rounds()
        if not rounds:
            print("No team rounds yet.", file=stdout)
            return 0
        print(
            f"{'id':>4}  {'status':<6}  {'joined':>6}  {'finished':>8}  organisation — name",
            file=stdout,
        )
        for round_ in rounds:
            members = store.members(round_.id)
            joined = sum(1 for m in members if m.evaluation_id is not None)
            finished = sum(1 for m in members if m.finished)
            print(
                f"{round_.id:>4}  {round_.status:<6}  {joined:>6}  {finished:>8}  "
                f"{round_.organisation} — {round_.name}",
                file=stdout,
            )
    return 0


def _dead_letters(settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    if _missing_database(settings, stderr):
        return 1
    with Store.open(settings.database) as store:
        letters = store.dead_letters()
    if not letters:
        print("No updates have been set aside.", file=stdout)
        return 0
    print(f"{'update':>10}  {'set aside':<16}  tries  error", file=stdout)
    for letter in letters:
        print(
            f"{letter.update_id:>10}  {letter.set_aside_at:%Y-%m-%d %H:%M}  {letter.attempts:>5}  "
            f"{letter.error}",
            file=stdout,
        )
    return 0


def _backup(file: Path, force: bool, settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    if _missing_database(settings, stderr):
        return 1
    from storage.backup import BackupError, backup_database

    try:
        report = backup_database(settings.database, file, force=force)
    except BackupError as error:
        print(error, file=stderr)
        return 1
    print(
        f"Backed up {settings.database} to {report.path} ({_size(report.size)}): "
        f"{_count(report.evaluations, 'evaluation')}, {_count(report.answers, 'answer')}. "
        "The copy passed SQLite's integrity check.",
        file=stdout,
    )
    return 0


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _count(number: int, thing: str) -> str:
    """Say "1 answer" or "3 answers"."""
    return f"{number} {thing}{'' if number == 1 else 's'}"


def _missing_database(settings: Settings, stderr: TextIO) -> bool:
    """Say where the database was looked for when it is not there (reading must not create it)."""
    if settings.database.exists():
        return False
    print(f"No database at {settings.database}. Set WORKFORCE_GUIDE_DB to its path.", file=stderr)
    return True


def _search_gaps(limit: int, settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    if _missing_database(settings, stderr):
        return 1
    with Store.open(settings.database) as store:
        gaps = store.search_gaps(limit)
    if not gaps:
        print("No searches have come back empty yet.", file=stdout)
        return 0
    print(f"{'times':>5}  {'last asked':<16}  words", file=stdout)
    for gap in gaps:
        print(f"{gap.count:>5}  {gap.last_seen:%Y-%m-%d %H:%M}  {gap.terms}", file=stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
