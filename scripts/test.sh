#!/usr/bin/env bash
# Full relaycode check: lint, then the test suite twice — once on SQLite and
# once on PostgreSQL. Extra arguments are passed to both pytest runs.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -k resolve -x   # subset, still on both databases
#
# PostgreSQL is located in this order (first hit wins):
#   a) RELAYCODE_TEST_PG_URL (or RELAYCODE_TEST_PG_ADMIN_URL) if set: used as
#      the admin URL as-is; if it does not work that is an error, no fallback.
#   b) a server already listening on 127.0.0.1:5432 that accepts a trust login
#      as `postgres` (or as the current user) and may CREATE DATABASE.
#   c) a throwaway cluster made with initdb/pg_ctl (PATH, then
#      /usr/lib/postgresql/*/bin) in a temp dir on a free port, removed on exit.
#      RELAYCODE_TEST_PG_FORCE_THROWAWAY=1 skips (a) and (b) to exercise this.
#   d) none: only the SQLite half runs. That is a failure when CI is set or
#      RELAYCODE_REQUIRE_PG=1.
# The tests receive the admin URL (database `postgres`) in
# RELAYCODE_TEST_PG_ADMIN_URL and create one database per xdist worker.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=$ROOT/.venv
PY=$VENV/bin/python

banner() {
    # Loud, so it cannot be missed in a long CI log.
    local line="########################################################################"
    printf '\n%s\n### %s\n%s\n\n' "$line" "$*" "$line" >&2
}
info() { printf '==> %s\n' "$*" >&2; }

is_root() { [[ $(id -u) -eq 0 ]]; }

ci_mode() {
    # CI=true/1/yes (what CI systems set) or an explicit opt-in.
    [[ ${RELAYCODE_REQUIRE_PG:-0} == 1 ]] && return 0
    case ${CI:-} in "" | 0 | false | False | FALSE | no) return 1 ;; *) return 0 ;; esac
}

# `make test` builds the venv first; this covers running the script directly.
if [[ ! -x $VENV/bin/pytest ]]; then
    info "no .venv yet, running 'make venv'"
    make venv
fi

# ---------------------------------------------------------------------------
# System packages. Browser tests need Debian's chromium (+ CJK fonts so
# rendered pages are legible in screenshots), PDF captions an emoji font; pyzbar needs libzbar0 (only the
# benchmarks use it). Install what's missing if we can; never fail over it.
# ---------------------------------------------------------------------------
ensure_system_packages() {
    local missing=()
    [[ -x /usr/bin/chromium ]] || missing+=(chromium fonts-noto-cjk)
    # Emoji in PDF captions come from Symbola (codes/fonts.py); without it they are warned about.
    [[ -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ]] || missing+=(fonts-symbola)
    if command -v ldconfig >/dev/null && ! ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
        missing+=(libzbar0)
    fi
    ((${#missing[@]})) || return 0

    if is_root && command -v apt-get >/dev/null; then
        info "installing missing system packages: ${missing[*]}"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
               DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; }; then
            info "WARNING: apt-get install failed (continuing)"
        fi
    fi
    if [[ ! -x /usr/bin/chromium ]]; then
        banner "WARNING: /usr/bin/chromium not found — BROWSER TESTS WILL BE SKIPPED (apt-get install chromium fonts-noto-cjk)"
    fi
    if command -v ldconfig >/dev/null && ! ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
        info "note: libzbar0 missing — pyzbar-based benchmarks will not work (tests are unaffected)"
    fi
}
ensure_system_packages

# ---------------------------------------------------------------------------
# pytest wrapper: exit code 5 ("no tests collected") counts as a failure — an
# empty run must never look green.
# ---------------------------------------------------------------------------
describe_rc() {
    case $1 in
        0) echo "passed" ;;
        1) echo "FAILED (test failures)" ;;
        5) echo "FAILED (no tests collected)" ;;
        skip) echo "NOT RUN" ;;
        *) echo "FAILED (exit $1)" ;;
    esac
}

run_pytest() { # run_pytest <label> <env assignments...> -- <pytest args...>
    local label=$1 rc=0
    shift
    local envs=()
    while [[ $1 != -- ]]; do envs+=("$1"); shift; done
    shift
    info "pytest [$label]"
    env "${envs[@]}" "$VENV/bin/pytest" -n 2 -q "$@" || rc=$?
    info "pytest [$label]: $(describe_rc "$rc")"
    return "$rc"
}

# ---------------------------------------------------------------------------
# Lint. Runs first but does not stop the test halves, so one run reports all.
# ---------------------------------------------------------------------------
lint_rc=0
lint_paths=()
for p in src tests bench; do [[ -e $p ]] && lint_paths+=("$p"); done
info "lint: ruff check / ruff format --check (${lint_paths[*]}), mypy src (strict), mypy tests bench"
"$VENV/bin/ruff" check "${lint_paths[@]}" || lint_rc=1
"$VENV/bin/ruff" format --check "${lint_paths[@]}" || lint_rc=1
"$VENV/bin/mypy" src || lint_rc=1
"$VENV/bin/mypy" --config-file mypy-tests.ini tests bench || lint_rc=1

# ---------------------------------------------------------------------------
# SQLite half.
# ---------------------------------------------------------------------------
sqlite_rc=0
run_pytest sqlite RELAYCODE_TEST_DATABASE=sqlite -- "$@" || sqlite_rc=$?

# ---------------------------------------------------------------------------
# PostgreSQL discovery.
# ---------------------------------------------------------------------------
PG_ADMIN_URL=""
PG_SOURCE=""
PG_TMP=""      # throwaway cluster dir (set => we must stop + remove it)
PG_CTL=""
PG_RUNAS=()    # prefix to run cluster commands as the `postgres` user

# Usable means: we can log in and the role may create databases (the fixtures
# CREATE DATABASE per xdist worker). Checked with psycopg, the driver the
# tests themselves use, so no psql is required.
pg_usable() {
    "$PY" - "$1" <<'EOF' 2>/dev/null
import sys, psycopg
with psycopg.connect(sys.argv[1], connect_timeout=5) as c:
    ok = c.execute(
        "select rolsuper or rolcreatedb from pg_roles where rolname = current_user"
    ).fetchone()
sys.exit(0 if ok and ok[0] else 1)
EOF
}

# First match on PATH, then the newest Debian versioned bindir.
find_pg_bin() {
    local name=$1 p
    if p=$(command -v "$name" 2>/dev/null); then echo "$p"; return 0; fi
    for p in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5Vr); do
        [[ -x $p/$name ]] && { echo "$p/$name"; return 0; }
    done
    return 1
}

stop_throwaway_pg() {
    [[ -n $PG_TMP ]] || return 0
    if [[ -f $PG_TMP/data/postmaster.pid ]]; then
        info "stopping throwaway PostgreSQL"
        "${PG_RUNAS[@]}" "$PG_CTL" -D "$PG_TMP/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$PG_TMP"
    PG_TMP=""
}
trap stop_throwaway_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_throwaway_pg() {
    local initdb port
    initdb=$(find_pg_bin initdb) || return 1
    # Use the pg_ctl that sits next to the real initdb (it may be a symlink,
    # e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb) so
    # that versions match.
    local bindir
    bindir=$(dirname "$(readlink -f "$initdb")")
    if [[ -x $bindir/pg_ctl ]]; then PG_CTL=$bindir/pg_ctl; else PG_CTL=$(find_pg_bin pg_ctl) || return 1; fi

    PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/relaycode-pg.XXXXXX")
    # initdb refuses to run as root: run the cluster as Debian's `postgres`
    # system user, which needs to own the temp dir (it holds data + socket).
    if is_root; then
        if ! id postgres >/dev/null 2>&1; then
            info "running as root and no 'postgres' system user to run initdb as"
            return 1
        fi
        chown postgres: "$PG_TMP"
        if command -v runuser >/dev/null; then
            PG_RUNAS=(runuser -u postgres --)
        else
            PG_RUNAS=(su_postgres)
        fi
    fi

    # A free port picked by the kernel (tiny race until postgres binds it).
    port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

    info "starting throwaway PostgreSQL ($bindir) in $PG_TMP on port $port"
    # --no-locale: C collation, deterministic regardless of the host locale.
    if ! "${PG_RUNAS[@]}" "$initdb" -D "$PG_TMP/data" -U postgres --auth=trust \
            --encoding=UTF8 --no-locale >"$PG_TMP/initdb.log" 2>&1; then
        cat "$PG_TMP/initdb.log" >&2
        return 1
    fi
    # fsync=off: a test cluster that is deleted afterwards needs no durability.
    if ! "${PG_RUNAS[@]}" "$PG_CTL" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
            -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
        cat "$PG_TMP/server.log" >&2 || true
        return 1
    fi
    PG_ADMIN_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

# `su` fallback for systems without runuser; quotes every argument.
su_postgres() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }

discover_pg() {
    # (a) explicit URL: the caller asked for this server, so never fall back.
    local explicit=${RELAYCODE_TEST_PG_URL:-${RELAYCODE_TEST_PG_ADMIN_URL:-}}
    if [[ -n $explicit && ${RELAYCODE_TEST_PG_FORCE_THROWAWAY:-0} != 1 ]]; then
        if pg_usable "$explicit"; then
            PG_ADMIN_URL=$explicit PG_SOURCE="RELAYCODE_TEST_PG_URL"
            return 0
        fi
        info "ERROR: the configured PostgreSQL URL is unreachable or its role cannot CREATE DATABASE"
        return 2
    fi

    # (b) a local server on the default port with trust auth.
    if [[ ${RELAYCODE_TEST_PG_FORCE_THROWAWAY:-0} != 1 ]]; then
        local isready role url
        if isready=$(find_pg_bin pg_isready) && "$isready" -q -h 127.0.0.1 -p 5432 -t 3; then
            for role in postgres "$(id -un)"; do
                url="postgresql://$role@127.0.0.1:5432/postgres"
                if pg_usable "$url"; then
                    PG_ADMIN_URL=$url PG_SOURCE="local server 127.0.0.1:5432 (role $role)"
                    return 0
                fi
            done
            info "a server is listening on 127.0.0.1:5432 but no trust login with CREATEDB works; trying a throwaway cluster"
        fi
    fi

    # (c) throwaway cluster.
    if find_pg_bin initdb >/dev/null; then
        if start_throwaway_pg && pg_usable "$PG_ADMIN_URL"; then
            PG_SOURCE="throwaway cluster (${PG_ADMIN_URL#*@})"
            return 0
        fi
        info "ERROR: could not start a throwaway PostgreSQL cluster"
        stop_throwaway_pg
        return 2
    fi

    # (d) nothing.
    return 1
}

pg_rc=skip
discover_rc=0
discover_pg || discover_rc=$?
case $discover_rc in
    0)
        info "PostgreSQL: $PG_SOURCE"
        pg_rc=0
        run_pytest postgresql RELAYCODE_TEST_DATABASE=postgresql \
            "RELAYCODE_TEST_PG_ADMIN_URL=$PG_ADMIN_URL" -- "$@" || pg_rc=$?
        stop_throwaway_pg
        ;;
    1)
        banner "NO POSTGRESQL FOUND — running the SQLite half only"
        if ci_mode; then pg_rc="missing"; fi
        ;;
    *)
        # PostgreSQL was expected (explicit URL / installed binaries) but broke.
        pg_rc="broken"
        ;;
esac

# ---------------------------------------------------------------------------
# Summary.
# ---------------------------------------------------------------------------
case $pg_rc in
    missing) pg_desc="FAILED (no PostgreSQL found; required because CI/RELAYCODE_REQUIRE_PG is set)" ;;
    broken) pg_desc="FAILED (PostgreSQL setup failed, see above)" ;;
    *) pg_desc=$(describe_rc "$pg_rc") ;;
esac
lint_desc=$([[ $lint_rc -eq 0 ]] && echo passed || echo FAILED)
summary="SUMMARY: lint: $lint_desc | sqlite: $(describe_rc "$sqlite_rc") | postgresql: $pg_desc"

failed=0
[[ $lint_rc -eq 0 ]] || failed=1
[[ $sqlite_rc == 0 ]] || failed=1
[[ $pg_rc == 0 || $pg_rc == skip ]] || failed=1

echo
echo "$summary"
if ((failed)); then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: OK"
