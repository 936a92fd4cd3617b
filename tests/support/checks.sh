# The counted checks of the shell stack tests (tests/tls/tls-test, tests/vps/vps-test): one
# line per check ("ok   NAME" or "FAIL NAME (detail)"), then "N passed, M failed", the
# format scripts/run-tests counts. Source after scripts/lib/stack.sh: a failed setup step
# (stack.sh's die) becomes one counted failure that ends the run.
passed=0 failed=0

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1 (${2:-})"; failed=$((failed + 1)); }
# check NAME DETAIL COMMAND...: pass if COMMAND succeeds, else fail with DETAIL.
check() {
  local name=$1 detail=$2; shift 2
  if "$@"; then pass "$name"; else fail "$name" "$detail"; fi
}
summary() { echo "$passed passed, $failed failed"; ((failed == 0)); }
# setup_failed WHAT: the stack could not be built; counts as one failure and ends the run.
setup_failed() { fail "setup" "$1"; summary; exit 1; }
die() { setup_failed "$*"; }
