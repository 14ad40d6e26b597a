#!/bin/sh
# try_files.sh DIR [BUILD_DIR] [REPORT_DIR]
#
# Runs HashiCorp's HCL parser (hcl-structure, tests/hcl_structure) and ours
# (hcl-structure-ours) over every *.hcl and *.nomad file under DIR and prints how many each
# parses, how many agree byte for byte, and each disagreement. Then, for the files that are
# job files (a top-level `job` block by HashiCorp's parse), how many our job-spec decoder
# takes (hcl-structure-ours -decode), with each failure's message.
#
# BUILD_DIR (default build/h) holds both tools:
#   cmake --build BUILD_DIR --target hcl_structure_tool hcl-structure-ours
# REPORT_DIR (default a temporary directory) keeps both outputs of every file (NAME.theirs,
# NAME.ours) and the diffs, for a closer look.
set -eu

dir=${1:?usage: try_files.sh DIR [BUILD_DIR] [REPORT_DIR]}
build=${2:-build/h}
report=${3:-$(mktemp -d "${TMPDIR:-/tmp}/try-files.XXXXXX")}
theirs_tool=$build/tests/hcl-structure
ours_tool=$build/tests/hcl-structure-ours
for tool in "$theirs_tool" "$ours_tool"; do
  [ -x "$tool" ] || { echo "try_files.sh: $tool is not built" >&2; exit 2; }
done
mkdir -p "$report"

total=0 theirs_ok=0 ours_ok=0 agree=0 jobs=0 decoded=0
disagreements=$report/disagreements.txt
decode_failures=$report/decode-failures.txt
: >"$disagreements"
: >"$decode_failures"

# "error L:C SUMMARY" or "ok", from a structure document.
verdict() {
  if grep -q '^  "error": {' "$1"; then
    line=$(sed -n 's/^    "line": \([0-9]*\),$/\1/p' "$1")
    column=$(sed -n 's/^    "column": \([0-9]*\),$/\1/p' "$1")
    summary=$(sed -n 's/^    "summary": "\(.*\)"$/\1/p' "$1")
    echo "error $line:$column $summary"
  else
    echo ok
  fi
}

find "$dir" -type f \( -name '*.hcl' -o -name '*.nomad' \) | sort >"$report/files"
while IFS= read -r file; do
  total=$((total + 1))
  name=$(printf '%s' "${file#"$dir"/}" | tr '/' '_')
  "$theirs_tool" "$file" >"$report/$name.theirs" 2>&1 || true
  "$ours_tool" "$file" >"$report/$name.ours" 2>&1 || echo "(exit $?)" >>"$report/$name.ours"
  theirs=$(verdict "$report/$name.theirs")
  ours=$(verdict "$report/$name.ours")
  [ "$theirs" = ok ] && theirs_ok=$((theirs_ok + 1))
  [ "$ours" = ok ] && ours_ok=$((ours_ok + 1))
  if cmp -s "$report/$name.theirs" "$report/$name.ours"; then
    agree=$((agree + 1))
  elif [ "$theirs" = ok ] && [ "$ours" = ok ]; then
    diff -u "$report/$name.theirs" "$report/$name.ours" >"$report/$name.diff" || true
    echo "$file: structure differs ($(grep -c '^[-+] ' "$report/$name.diff") lines; $name.diff)" >>"$disagreements"
  elif [ "${theirs%% *}" = error ] && [ "${ours%% *}" = error ] &&
       [ "$(echo "$theirs" | cut -d' ' -f2)" = "$(echo "$ours" | cut -d' ' -f2)" ]; then
    agree=$((agree + 1))  # the same place; the summaries' wording may differ
  else
    echo "$file: HashiCorp: $theirs | ours: $ours" >>"$disagreements"
  fi

  # A job file: HashiCorp parses it and its top-level blocks include `job`.
  if [ "$theirs" = ok ] && grep -q '^      "type": "job",$' "$report/$name.theirs"; then
    jobs=$((jobs + 1))
    status=0
    "$ours_tool" -decode "$file" >"$report/$name.decode" 2>&1 || status=$?
    if grep -q -E 'ERROR: AddressSanitizer|runtime error:' "$report/$name.decode" || [ "$status" -gt 1 ]; then
      # A crash (a sanitized build exits 1 too): the sanitizer's summary, or the exit status.
      crash=$(grep -m 1 -E '^SUMMARY:|runtime error:' "$report/$name.decode" || true)
      echo "$file: CRASH (exit $status) ${crash:-}; see $name.decode" >>"$decode_failures"
    elif [ "$status" -eq 0 ]; then
      decoded=$((decoded + 1))
    else
      echo "$file: $(head -n 1 "$report/$name.decode")" >>"$decode_failures"
    fi
  fi
done <"$report/files"

echo "files:                  $total"
echo "parsed by HashiCorp:    $theirs_ok"
echo "parsed by ours:         $ours_ok"
echo "agree (same structure, or an error at the same place): $agree"
echo "job files (HashiCorp):  $jobs"
echo "decoded by ours:        $decoded"
echo "report:                 $report"
if [ -s "$disagreements" ]; then
  echo
  echo "disagreements:"
  cat "$disagreements"
fi
if [ -s "$decode_failures" ]; then
  echo
  echo "decode failures:"
  cat "$decode_failures"
fi
