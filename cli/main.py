"""Entry point of `lakeconsole`. Subcommands are the modules of this package that define
`COMMAND`, `HELP`, `add_arguments(parser)` and `run(args, settings) -> int`."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from types import ModuleType

import cli
from cli.output import error, reader_went_away
from core.disk import disk_full_line, full_at, is_disk_full
from core.exit_codes import CANCELLED, FAILED, USAGE
from core.lake import NoLake, require_lake
from core.settings import SettingsError, load_settings

EXIT_USAGE = USAGE

# Commands that only read the lake (backup writes its target, not the lake). They create
# nothing, refuse a missing lake, and work on a read-only one (issue 13). Every other command,
# and the console, may write: their folders are created and checked for writing first.
READ_ONLY_COMMANDS = frozenset({"tables", "history", "show", "runs", "check", "backup"})

DESCRIPTION = """\
lakeconsole: a console for a local Delta Lake medallion lakehouse
(landing files → bronze → silver → gold).

Without a subcommand it opens the console (a terminal UI) on the lake in your settings."""

EPILOG = """\
Settings come from .env (see .env.template) and the environment; --data-dir or
LAKECONSOLE_DATA_DIR points at another lake. Run 'lakeconsole COMMAND --help' for details."""


def command_modules() -> list[ModuleType]:
    mods = []
    for info in pkgutil.iter_modules(cli.__path__):
        mod = importlib.import_module(f"cli.{info.name}")
        if hasattr(mod, "COMMAND") and hasattr(mod, "run"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.COMMAND))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lakeconsole")
    except PackageNotFoundError:
        return "unknown (not installed)"


class VersionAction(argparse.Action):
    """--version, reading the installed metadata only when asked (not on every start)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help=str(kwargs.get("help", "")))

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"lakeconsole {_version()}")
        parser.exit()


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    # --data-dir is accepted before and after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the lake's folder (default: LAKECONSOLE_DATA_DIR or ./data)",
    )
    parser = argparse.ArgumentParser(
        prog="lakeconsole",
        description=DESCRIPTION,
        epilog=EPILOG,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    modules: dict[str, ModuleType] = {}
    for mod in command_modules():
        p = sub.add_parser(
            mod.COMMAND,
            help=mod.HELP,
            description=getattr(mod, "DESCRIPTION", mod.HELP),
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=getattr(mod, "EPILOG", None),
        )
        mod.add_arguments(p)
        modules[mod.COMMAND] = mod
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    reads_only = args.command in READ_ONLY_COMMANDS
    try:
        settings = load_settings(
            data_dir=getattr(args, "data_dir", None), check_writable=not reads_only
        )
        if reads_only:
            require_lake(settings.data_dir)
    except (SettingsError, NoLake) as exc:
        error(str(exc))
        return EXIT_USAGE
    from core.applog import setup_logging

    setup_logging(settings)
    if args.command is None:
        from tui.app import run_console

        return run_console(settings)
    from cli.native_stderr import native_stderr_to_log

    try:
        with native_stderr_to_log():
            code: int = modules[args.command].run(args, settings)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except BrokenPipeError:
        return reader_went_away()
    except KeyboardInterrupt:
        error("stopped (second Ctrl+C)")
        return CANCELLED
    except (
        Exception
    ) as exc:  # a surprise from delta-rs, pyarrow or a tool: one line, trace in the log
        logging.getLogger("lakeconsole.cli").exception("%s failed", args.command)
        if is_disk_full(exc):
            error(f"{args.command} failed: {disk_full_line(full_at(exc, settings.data_dir), 0)}")
            return FAILED
        reason = " ".join(str(exc).split())[:300]
        where = f"details in {settings.log_file}"
        error(f"{args.command} failed: {type(exc).__name__}: {reason} ({where})")
        return FAILED
    return code


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
