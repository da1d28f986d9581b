#!/usr/bin/env bash
# OPS-08 "Clean Slate": venv, pinned dependencies, lake folders, .env, sample data. No root needed.
# Safe to run again: it only does what is missing.
#
#   ./setup.sh          set up to use lakeconsole
#   ./setup.sh --dev    also install the test and lint tools (and the Spark client, LakeSail)
#   ./setup.sh --spark  also install the Spark Connect client (lakeconsole[spark])
#   ./setup.sh --no-sample   skip the sample landing data
set -euo pipefail

started=$SECONDS
case "$0" in */*) cd "${0%/*}" ;; esac
dev=0
spark=0
sample=1
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --spark) spark=1 ;;
    --no-sample) sample=0 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '  %s\n' "$*"; }

# 1. A Python >= 3.11.
find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
if ! python=$(find_python); then
  echo "setup.sh: lakeconsole needs Python 3.11 or newer with the venv module, and none was found." >&2
  echo "  Install one (Debian/Ubuntu: sudo apt install python3.11-venv; macOS: brew install python@3.12)," >&2
  echo "  or point PYTHON at it: PYTHON=/path/to/python3.12 ./setup.sh" >&2
  exit 1
fi

echo "lakeconsole set-up"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "creating .venv with $($python --version 2>&1)"
  rm -rf .venv
  "$python" -m venv .venv
fi

# 2. Pinned dependencies (requirements*.lock are compiled from pyproject.toml: make lock). The
# plain lock pins what the dev lock pins, so the dev set is the plain set plus the dev tools:
# after --dev a plain set-up is already satisfied, and --dev after a plain one only adds.
lock=requirements.lock
[ "$dev" = 1 ] && lock=requirements-dev.lock
stamp_of() { echo ".venv/.installed-$(.venv/bin/python -c 'import hashlib, sys; print(hashlib.sha256(b"".join(open(f, "rb").read() for f in sys.argv[1:])).hexdigest()[:16])' "$1" pyproject.toml)"; }
stamp=$(stamp_of "$lock")
if [ ! -f "$stamp" ]; then
  say "installing pinned packages from $lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$lock"
  # setuptools' own deprecation chatter is noise to a user; real errors still stop the script.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . 2>/dev/null \
    || .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-*
  touch "$stamp"
  # The dev set holds every plain pin: a later plain set-up has nothing to do.
  if [ "$dev" = 1 ] && .venv/bin/python -c 'import sys
pins = lambda f: {l.strip() for l in open(f) if "==" in l}
sys.exit(not pins("requirements.lock") <= pins("requirements-dev.lock"))'; then
    touch "$(stamp_of requirements.lock)"
  fi
else
  say "packages already installed from $lock"
fi

# The optional Spark Connect client (heavy steps on a Spark endpoint, docs/scale-out.md), at the
# versions the dev lock pins (the dev set already holds it).
if [ "$spark" = 1 ] && [ "$dev" = 0 ] && ! .venv/bin/python -c 'import pyspark' 2>/dev/null; then
  say "installing the Spark Connect client (lakeconsole[spark])"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements-dev.lock pyspark-client
fi

# Byte-compile the package: with PYTHONDONTWRITEBYTECODE set, Python never writes .pyc files
# itself (it still reads them), and every command would compile its modules again (0.1 s).
.venv/bin/python -m compileall -q -j 0 core cli tui pipelines lakeconsole/__init__.py >/dev/null

# 4. .env from the template, never over a user's own (mode 600: it may hold credentials).
if [ ! -f .env ]; then
  cp .env.template .env
  chmod 600 .env
  say "created .env from .env.template"
else
  say ".env kept as it is"
fi

# 3. The lake's folders and logs/ (where .env says they are).
.venv/bin/python - <<'PY'
from core.lake import ensure_layout
from core.settings import load_settings
s = load_settings()
ensure_layout(s.data_dir)
s.log_dir.mkdir(parents=True, exist_ok=True)
print(f"  lake folders ready in {s.data_dir}")
PY

# 5. A small sample of landing data, only into an empty lake.
if [ "$sample" = 1 ]; then
  .venv/bin/lakeconsole demo --if-empty
fi

# Optional tools for backups (OPS-07): say how to get them, do not install them.
command -v rclone >/dev/null 2>&1 || say "optional: rclone is not installed (backups to rclone remotes). Get it: https://rclone.org/install/ or 'sudo apt install rclone'"
command -v aws >/dev/null 2>&1 || [ -x .venv/bin/aws ] || say "optional: the aws CLI is not installed (backups to S3). Get it: 'pip install awscli' or ./setup.sh --dev"

echo "done in $(( SECONDS - started ))s. Next: .venv/bin/lakeconsole   (or: .venv/bin/lakeconsole run)"
