# shellcheck shell=bash
# Shared by scripts/start.sh and scripts/test.sh (sourced, not run).
# Creates the project's virtual environment and installs a requirements file into it,
# skipping pip when nothing changed since the last install (a hash stamp in .venv/).

TUNEX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TUNEX_VENV:-$TUNEX_ROOT/.venv}"
VENV_PYTHON="$VENV/bin/python"

say() { printf '\033[1m[tunex]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[tunex] error:\033[0m %s\n' "$*" >&2; exit 1; }

# A Python 3.10-3.12 (TensorFlow's range); $PYTHON wins when set.
choose_python() {
    if [[ -n "${PYTHON:-}" ]]; then
        command -v "$PYTHON" >/dev/null || die "PYTHON=$PYTHON is not a command"
        echo "$PYTHON"; return
    fi
    local candidate
    for candidate in python3.12 python3.11 python3.10 python3; do
        if command -v "$candidate" >/dev/null &&
           "$candidate" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)))' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
    command -v python3 >/dev/null || die "no python3 found; install Python 3.10-3.12"
    say "warning: no Python 3.10-3.12 found; trying $(python3 --version 2>&1) (TensorFlow may not install)" >&2
    echo python3
}

# Create .venv when it is missing or broken.
ensure_venv() {
    if [[ -x "$VENV_PYTHON" ]] && "$VENV_PYTHON" -c 'import pip' >/dev/null 2>&1; then
        return
    fi
    local python
    python="$(choose_python)"
    say "creating $VENV with $("$python" --version 2>&1)"
    rm -rf "$VENV"
    "$python" -m venv "$VENV" || die "python -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
}

# pip install -r FILE into .venv unless FILE (and what it includes with -r) is unchanged.
install_requirements() {
    local requirements="$1" stamp_name digest stamp
    stamp_name="$(basename "$requirements" .txt)"
    stamp="$VENV/.tunex-$stamp_name.sha256"
    digest="$(cd "$TUNEX_ROOT" && cat "$requirements" requirements.txt | sha256sum | cut -d' ' -f1)-$("$VENV_PYTHON" -V 2>&1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]]; then
        say "$requirements unchanged since the last install; skipping pip"
        return
    fi
    say "installing $requirements (the first time takes a few minutes: TensorFlow is large)"
    local started=$SECONDS
    (cd "$TUNEX_ROOT" && "$VENV_PYTHON" -m pip install --disable-pip-version-check --progress-bar off -q \
        -r "$requirements") || die "pip install -r $requirements failed"
    echo "$digest" > "$stamp"
    say "installed $requirements in $((SECONDS - started)) s"
}
