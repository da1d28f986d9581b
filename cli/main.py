"""Entry point of `lakeconsole`. Subcommands are the modules of this package that define
`COMMAND`, `HELP`, `add_arguments(parser)` and `run(args, settings) -> int`; one that sets
`NEEDS_PROJECT = False` (init) runs with no settings, outside any project."""

from __future__ import annotations

import argparse
import atexit
import importlib
import importlib.util
import logging
import os
import pkgutil
import sys
import threading
from collections.abc import Iterable
from types import ModuleType

import lakeconsole.cli
from lakeconsole.cli.lake_use import (
    use_of,
    what_only_reads,
    what_works_on_object_storage,
    works_on_object_storage,
)
from lakeconsole.cli.output import error, reader_went_away
from lakeconsole.core.disk import disk_full_line, full_at, is_disk_full
from lakeconsole.core.exit_codes import CANCELLED, FAILED, USAGE
from lakeconsole.core.lake import NoLake, require_lake
from lakeconsole.core.settings import (
    FolderNotWritable,
    Settings,
    SettingsError,
    check_folders_writable,
    load_settings,
    require_project,
)
from lakeconsole.core.storage import StorageError

EXIT_USAGE = USAGE

DESCRIPTION = """\
lakeconsole: a console for a local Delta Lake medallion lakehouse
(landing files → bronze → silver → gold).

Without a subcommand it opens the console (a terminal UI) on the lake in your settings."""

EPILOG = """\
Settings come from .env (see .env.template) and the environment; --data-dir or
LAKECONSOLE_DATA_DIR points at another lake. Run 'lakeconsole COMMAND --help' for details."""


def command_modules() -> list[ModuleType]:
    mods = []
    for info in pkgutil.iter_modules(lakeconsole.cli.__path__):
        mod = importlib.import_module(f"lakeconsole.cli.{info.name}")
        if hasattr(mod, "COMMAND") and hasattr(mod, "run"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.COMMAND))


def named_command(argv: list[str]) -> list[ModuleType] | None:
    """The one command module `argv` names (`restore-version` lives in restore_version.py), or
    None (no command, a typo, --help): importing all 21 of them to parse one took 15-25 ms of
    every command, a daily run's included."""
    words = iter(argv)
    for word in words:
        if word == "--data-dir":
            next(words, None)
        elif not word.startswith("-"):
            name = word.replace("-", "_")
            if (
                not name.isidentifier()
                or importlib.util.find_spec(f"lakeconsole.cli.{name}") is None
            ):
                return None
            mod = importlib.import_module(f"lakeconsole.cli.{name}")
            named = getattr(mod, "COMMAND", None) == word and hasattr(mod, "run")
            return [mod] if named else None
    return None


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


def build_parser(
    only: list[ModuleType] | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
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
    for mod in only or command_modules():
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


class ConsoleRefused(Exception):
    """The console cannot open on this lake; the message says what works instead."""


def console_settings(args: argparse.Namespace, modules: Iterable[ModuleType]) -> Settings:
    """The console writes (runs, vacuums, restores): never on a mistyped folder it would create,
    and on a read-only lake one line saying what works instead (SettingsError)."""
    settings = load_settings(data_dir=getattr(args, "data_dir", None), check_writable=False)
    if settings.on_object_storage:
        return console_on_object_storage(settings)
    require_project(settings)
    require_lake(settings.data_dir)
    try:
        check_folders_writable(settings)
    except FolderNotWritable as exc:
        if exc.folder != settings.data_dir:
            raise
        raise ConsoleRefused(
            f"the lake at {settings.data_dir} is read-only ({exc.reason}): the console needs "
            f"to write it. These only read it and work: {what_only_reads(modules)}"
        ) from None
    return settings


def console_on_object_storage(settings: Settings) -> Settings:
    """The console on an `s3://` lake: as for `run`, a project (its logs stay local), a bucket
    that answers and holds a lake (an empty prefix is most likely a typo: the console opens on
    no lake it would start), and no restore half done. Nothing is written before."""
    from lakeconsole.core.storage import check_reachable

    require_project(settings)
    if not check_reachable(settings.lake):
        raise NoLake(settings.lake)
    check_folders_writable(settings)  # logs/ and the console's preferences stay local
    refuse_half_restored(settings)
    return settings


def command_settings(args: argparse.Namespace, module: ModuleType) -> Settings:
    """Settings for a command; outside a project only reading an existing lake works (a lake
    must not appear in whatever folder lakeconsole runs from: NoProject says how to make one)."""
    use = use_of(module, args)
    settings = load_settings(data_dir=getattr(args, "data_dir", None), check_writable=False)
    if settings.on_object_storage:
        return object_storage_settings(args, module, settings)
    if use == "writes":
        require_project(settings)
        check_folders_writable(settings)
    if use == "rebuilds" or (use == "reads" and not settings.data_dir.is_dir()):
        require_project(settings)
    if use == "reads":
        require_lake(settings.data_dir)
    return settings


def not_yet_on_object_storage(command: str, modules: Iterable[ModuleType]) -> str:
    return (
        f"not yet on object storage: {command} (the lake is on object storage; "
        f"these work there today: {what_works_on_object_storage(modules)}, and the console)"
    )


def object_storage_settings(
    args: argparse.Namespace, module: ModuleType, settings: Settings
) -> Settings:
    """A lake on object storage: only the commands that work there run, and only once the
    bucket answers and holds a lake; nothing is written before (ConsoleRefused, NoLake,
    StorageError)."""
    from lakeconsole.core.storage import check_reachable

    if not works_on_object_storage(module, args):
        partly = getattr(module, "object_storage", None) is not None
        what = f"{args.command} with these options" if partly else args.command
        raise ConsoleRefused(not_yet_on_object_storage(what, command_modules()))
    # Reached first whatever the command: a missing bucket or a dead endpoint is one line and
    # exit 2 before anything is written. An empty prefix is a lake to start for a writer.
    if not check_reachable(settings.lake) and use_of(module, args) == "reads":
        raise NoLake(settings.lake)
    check_folders_writable(settings)  # app.log stays local
    if use_of(module, args) != "rebuilds":  # a restore finishes what a killed one left
        refuse_half_restored(settings)
    return settings


def refuse_half_restored(settings: Settings) -> None:
    """ConsoleRefused for a lake on object storage that a restore is writing or left unfinished
    (core.backup.restore_s3: S3 has no rename, so a restore marks the lake until it is done)."""
    from lakeconsole.core.backup.restore_s3 import half_restored_line

    if line := half_restored_line(settings.lake):
        raise ConsoleRefused(line)


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser(named_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if args.command is not None and not getattr(modules[args.command], "NEEDS_PROJECT", True):
        # `lakeconsole init` makes a project: it needs none, and reads no settings.
        done: int = modules[args.command].run(args, None)
        return done
    try:
        if args.command is None:
            settings = console_settings(args, modules.values())
        else:
            settings = command_settings(args, modules[args.command])
    except (SettingsError, NoLake, ConsoleRefused, StorageError) as exc:
        error(str(exc))
        return EXIT_USAGE
    from lakeconsole.core.applog import setup_logging

    # The console opens app.log once its first frame is drawn (tui.app); a command when it
    # logs its first line.
    setup_logging(settings, later=args.command is None, on_first_line=args.command is not None)
    if args.command is None:
        from lakeconsole.tui.app import run_console

        return run_console(settings)
    from lakeconsole.cli.native_stderr import native_stderr_to_log

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
    """The `lakeconsole` script: main(), then out without the interpreter's teardown of
    pyarrow's, numpy's and delta-rs's modules (~40 ms of a 0.6 s daily run). What a normal exit
    does that matters is done first: unfinished threads joined, atexit hooks (logging's flush
    and close among them), buffered output written."""
    code = main()
    # The interpreter's own first exit step: thread pools told to stop, then every non-daemon
    # thread joined (joining them alone would wait forever on an idle pool's workers).
    getattr(threading, "_shutdown", lambda: None)()
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away (`| head`): nothing more to say to it
        pass
    os._exit(code)


if __name__ == "__main__":
    entry()
