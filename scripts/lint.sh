#!/bin/sh
# clang-format (always) and clang-tidy (unless --format-only) over the project's sources.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h')
clang-format --dry-run --Werror $files
[ "${1:-}" = "--format-only" ] && exit 0
[ -f build/debug/compile_commands.json ] || cmake --preset debug >/dev/null
clang-tidy -p build/debug --quiet $(git ls-files 'src/*.cc')
