"""Whether one invocation of a command writes the lake: the command's answer for its flags.

Each command module may define `lake_use(args) -> LakeUse` next to the flags that decide it
(default "writes"). main asks it before building the settings:
  reads     creates nothing, refuses a missing lake, works on a read-only lake
  writes    the lake's folders are created and test-written first
  rebuilds  restore: creates nothing up front (a refused restore leaves no trace) and accepts a
            missing lake, which it builds itself
A command that never writes says `lake_use = reads_only`; one that reads only with some flags
lists those forms in READ_ONLY_FORMS, for the console's line on a read-only lake.

A command that works on a lake on object storage says so with `object_storage(args) -> bool`
(or `object_storage = on_object_storage`); every other one refuses there (main)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from types import ModuleType
from typing import Literal

LakeUse = Literal["reads", "writes", "rebuilds"]


def reads_only(args: argparse.Namespace) -> LakeUse:
    """For commands that never write the lake, whatever the flags."""
    return "reads"


def use_of(module: ModuleType, args: argparse.Namespace) -> LakeUse:
    ask = getattr(module, "lake_use", None)
    return "writes" if ask is None else ask(args)


def what_only_reads(modules: Iterable[ModuleType]) -> str:
    """`lakeconsole backup, check…; vacuum --dry-run`: every invocation that works read-only."""
    mods = list(modules)
    always = sorted(m.COMMAND for m in mods if getattr(m, "lake_use", None) is reads_only)
    forms = sorted(form for m in mods for form in getattr(m, "READ_ONLY_FORMS", ()))
    return "; ".join([f"lakeconsole {', '.join(always)}", *forms])


def on_object_storage(args: argparse.Namespace) -> bool:
    """For commands that work on an object-store lake with every flag."""
    return True


def works_on_object_storage(module: ModuleType, args: argparse.Namespace) -> bool:
    ask = getattr(module, "object_storage", None)
    return ask is not None and bool(ask(args))


def what_works_on_object_storage(modules: Iterable[ModuleType]) -> str:
    """`lakeconsole history, show, tables`: the commands an s3:// lake takes today."""
    names = sorted(m.COMMAND for m in modules if getattr(m, "object_storage", None) is not None)
    return f"lakeconsole {', '.join(names)}"
