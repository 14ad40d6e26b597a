#!/bin/sh
# clang-format (always) and clang-tidy (unless --format-only) over the project's sources,
# with the repo's .clang-format and .clang-tidy; any finding fails.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h')
clang-format --dry-run --Werror $files
[ "${1:-}" = "--format-only" ] && exit 0

# clang-tidy reads each file's flags from a configured build: the debug one compiles src/,
# tests/ and bench/, the fuzz one (clang's) fuzz/. Configured every time (seconds, no build),
# so that files added since the last configure are linted with flags of their own and
# generated headers exist.
cmake --preset debug >/dev/null
cmake --preset fuzz >/dev/null
# The debug build's commands are g++'s, with -Werror: clang must not fail on g++-only options.
gcc_only=--extra-arg=-Wno-unknown-warning-option
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
git ls-files 'src/*.cc' 'tests/*.cc' 'bench/*.cc' |
  xargs -P "$(nproc)" -n 8 clang-tidy -p build/debug --quiet "$gcc_only" >"$report" 2>&1 || status=$?
git ls-files 'fuzz/*.cc' |
  xargs -r -P "$(nproc)" -n 8 clang-tidy -p build/fuzz --quiet "$gcc_only" >>"$report" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  # Only the findings: clang-tidy also counts the warnings it suppressed in system headers.
  grep -v -e 'warnings\? generated\.$' -e '^Suppressed [0-9]' -e '^Use -header-filter' \
    -e 'non-user code' "$report" >&2 || true
  echo "lint: clang-tidy found the above" >&2
  exit 1
fi
