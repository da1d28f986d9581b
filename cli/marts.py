"""`lakeconsole marts`: gold marts, their README state, new marts, column dictionaries (OPS-05)."""

from __future__ import annotations

import argparse

from lakeconsole.cli.lake_use import LakeUse, on_object_storage
from lakeconsole.cli.output import error, print_json, table
from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

COMMAND = "marts"
ORDER = 31
HELP = "list gold marts with their README state; create a mart README; refresh column dictionaries"
DESCRIPTION = """\
Every gold mart (a folder under gold/ holding Delta tables) needs a README.md with three
sections: Business Definition, Owner, Refresh Rate (OPS-05). Below them, a column dictionary
generated from the tables' schemas, with descriptions from the pipeline definition.

  lakeconsole marts                list marts: tables, README state
  lakeconsole marts new NAME       create gold/NAME/README.md from the template
  lakeconsole marts refresh [NAME] regenerate the column dictionary (your text is kept)

For a lake in a bucket (s3://...), the tables are in the bucket and the READMEs in the project
folder, at the path a local lake has them (data/gold/NAME/README.md), versioned with the code."""
EPILOG = """\
examples:
  lakeconsole marts --json
  lakeconsole marts new finance
  lakeconsole marts refresh sales"""


READ_ONLY_FORMS = ("marts list",)
object_storage = on_object_storage  # the tables in the bucket, the READMEs in the project


def lake_use(args: argparse.Namespace) -> LakeUse:
    return "reads" if args.action == "list" else "writes"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="?",
        choices=("list", "new", "refresh"),
        default="list",
        help="list (default), new or refresh",
    )
    p.add_argument("name", nargs="?", help="the mart's name (folder under gold/)")
    p.add_argument("--json", action="store_true", help="print JSON (list)")


def _list(settings: Settings, as_json: bool) -> int:
    from lakeconsole.core.marts.readme import gold_dir, lake_marts, readme_state

    marts = lake_marts(settings)
    if as_json:
        print_json(
            [
                {
                    "name": m.name,
                    "path": str(m.lake_folder),
                    "readme_path": str(m.readme),
                    "tables": [t.name for t in m.tables],
                    "readme": readme_state(m.path).status,
                    "problems": list(readme_state(m.path).problems),
                }
                for m in marts
            ]
        )
        return OK
    if not marts:
        print(
            f"No marts under {gold_dir(settings.lake_root)} yet. Run the pipeline "
            "(lakeconsole run) or start one: lakeconsole marts new NAME"
        )
        return OK
    rows = [
        [m.name, ", ".join(t.name for t in m.tables) or "-", readme_state(m.path).label()]
        for m in marts
    ]
    print(table(rows, ["mart", "tables", "README"]))
    return OK


def _new(settings: Settings, name: str | None) -> int:
    from lakeconsole.core.marts.readme import MartError, new_mart, readme_folder

    if not name:
        error("Name the mart: lakeconsole marts new NAME")
        return USAGE
    try:
        readme = new_mart(settings.lake_root, name, readme_folder(settings))
    except MartError as exc:
        error(str(exc))
        return FAILED
    print(
        f"Created {readme} from the template: fill in Business Definition, Owner and "
        "Refresh Rate (or press d in the console)"
    )
    return OK


def _refresh(settings: Settings, name: str | None) -> int:
    from lakeconsole.core.contracts import declared_tables
    from lakeconsole.core.marts.dictionary import refresh_dictionary
    from lakeconsole.core.marts.readme import gold_dir, lake_marts

    found = lake_marts(settings)
    marts = [m for m in found if name in (None, m.name)]
    if not marts:
        known = ", ".join(m.name for m in found) or "none yet"
        error(f"No mart '{name}' under {gold_dir(settings.lake_root)}. Marts: {known}")
        return USAGE
    declared = declared_tables(settings)
    for mart in marts:
        changed = refresh_dictionary(mart, settings.lake_root, declared)
        print(
            f"{mart.name}: column dictionary {'updated' if changed else 'already up to date'} "
            f"({mart.readme})"
        )
    return OK


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action != "list" and settings.on_object_storage and not settings.in_project:
        # The READMEs of a lake in a bucket are the project's: none to write outside one.
        error(
            f"marts {args.action} writes the mart READMEs of {settings.lake_name} into the "
            "project folder (data/gold/NAME/README.md): run it in the project (or set "
            "LAKECONSOLE_HOME to it)"
        )
        return USAGE
    if args.action == "new":
        return _new(settings, args.name)
    if args.action == "refresh":
        return _refresh(settings, args.name)
    return _list(settings, args.json)
