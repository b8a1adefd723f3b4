#!/bin/bash
# Build and test cost of two revisions, one after the other (BENCHMARKS.md,
# "Build and test cost"): a clean build of every target, a clean release build
# of the binary, the binary rebuilt after touching a server handler and the
# engine, every test target rebuilt after the handler, the test run (twice),
# the size of the target directory. Each revision in a worktree and a fresh
# target directory under WORK; crates are fetched first, so downloads are not
# timed. Run it on an otherwise idle machine; a PostgreSQL test cluster
# (SOLIEU_TEST_DATABASE, tests/pg/cluster.sh) makes the test run the CI's.
#
#   bench/build_cost.sh BEFORE AFTER [WORK]
#   HANDLER_BEFORE=crates/solieu/src/server/data.rs bench/build_cost.sh 5cdf0a0 HEAD
set -euo pipefail
before=${1:?revision before}
after=${2:?revision after}
work=${3:-$(mktemp -d)}
repo=$(git rev-parse --show-toplevel)
export CARGO_INCREMENTAL=0 CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
t() {
  local s e
  s=$(date +%s.%N)
  "$@" >>"$work/cargo.log" 2>&1
  e=$(date +%s.%N)
  printf '%8.1f s  %s\n' "$(echo "$e - $s" | bc)" "$*"
}
for rev in "$before" "$after"; do
  dir="$work/src-$rev"
  git -C "$repo" worktree add -q --detach "$dir" "$rev"
  cd "$dir"
  export CARGO_TARGET_DIR="$work/target-$rev"
  cargo fetch --locked -q
  echo "== $rev ($(git log --oneline -1))"
  t cargo test --workspace --all-targets --locked --no-run
  echo "target after the clean build: $(du -sh "$CARGO_TARGET_DIR" | cut -f1)"
  t cargo build --release --locked -p solieu
  cargo build --locked -q -p solieu
  handler=crates/solieu-server/src/data.rs
  [ -f "$handler" ] || handler=${HANDLER_BEFORE:-crates/solieu/src/server/data.rs}
  for f in "$handler" "$handler" crates/solieu-engine/src/eval.rs crates/solieu-engine/src/eval.rs; do
    touch "$f"
    echo -n "after touching $f:"
    t cargo build --locked -p solieu
  done
  touch "$handler"
  echo -n "every test target after touching the handler:"
  t cargo test --workspace --all-targets --locked --no-run
  for i in 1 2; do
    echo -n "test run $i:"
    t cargo test --workspace --all-targets --locked
  done
  cd "$repo"
  git worktree remove --force "$dir"
done
