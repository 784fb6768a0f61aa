#!/usr/bin/env bash
# Fuzz scenario parsing, validation and a short run, for a bounded time.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      (default: 60 seconds in all, both targets)
#
# Targets (fuzz/fuzz_targets/):
#   scenario         raw bytes as scenario text: the TOML parser, validation, error messages;
#   scenario_values  input bytes choose the values of a well-formed scenario: validation's
#                    ranges and the engine's arithmetic at extreme values;
#   shard            raw bytes as a shard file: merge's digest and consistency checks;
#   catalogue        raw bytes as a catalogue file, validated with the default scenario.
# SECONDS is shared equally among the targets. Works on the stable toolchain: cargo-fuzz needs
# nightly-only flags, which RUSTC_BOOTSTRAP=1 unlocks. Installs cargo-fuzz if it is missing.
# Seeds the (git-ignored) corpus of `scenario` from scenarios/ and tests/bad_inputs/.
# The crate has no unsafe code, so by default it builds without AddressSanitizer (about three
# times faster); FUZZ_SANITIZER=address brings it back.
#
# Exits non-zero if a target finds a panic, a NaN or infinity, mitigation hurting, a timeout
# or an out-of-memory; the input is then in fuzz/artifacts/TARGET/. Reproduce with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none TARGET fuzz/artifacts/TARGET/<file>
# (FUZZ_PRINT=1 prints the scenario text of a scenario_values input), and add it to
# tests/bad_inputs/fuzz/ and tests/fuzz_regressions.rs.
set -uo pipefail

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(scenario scenario_values shard catalogue)
per_target=$(( seconds / ${#targets[@]} ))
[ "$per_target" -lt 1 ] && per_target=1

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"
export RUSTC_BOOTSTRAP=1
sanitizer="${FUZZ_SANITIZER:-none}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked || exit 1
fi

cd "$fuzz_dir"
status=0
for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    mkdir -p "$corpus" "$fuzz_dir/artifacts/$target"
    flags=()
    if [ "$target" = scenario ]; then
        for seed in "$root"/scenarios/*.toml "$root"/scenarios/*/*.toml \
            "$root"/tests/bad_inputs/*.toml "$root"/tests/bad_inputs/*/*.toml; do
            [ -f "$seed" ] && cp "$seed" "$corpus/seed_$(basename "$(dirname "$seed")")_$(basename "$seed")"
        done
        flags+=(-dict="$fuzz_dir/scenario.dict" -max_len=65536)
    elif [ "$target" = catalogue ]; then
        for seed in "$root"/data/catalogue*.toml "$root"/tests/catalogues/*.toml; do
            [ -f "$seed" ] && cp "$seed" "$corpus/seed_$(basename "$seed")"
        done
        flags+=(-dict="$fuzz_dir/scenario.dict" -max_len=262144)
    elif [ "$target" = shard ]; then
        # A real shard to start from: the digest refuses most mutations, which is the point.
        [ -f "$corpus/seed_default.json" ] || cargo run --quiet --manifest-path "$root/Cargo.toml" -- \
            run --trials 40000 --quiet --shard 1/2 --output "$corpus/seed_default.json"
        flags+=(-max_len=4194304)
    else
        # Structured input: let inputs be long from the start.
        flags+=(-len_control=0 -max_len=4096)
    fi
    echo "== fuzzing $target for $per_target s" >&2
    # -timeout: one input may take at most 10 s (a normal one takes milliseconds).
    cargo fuzz run -s "$sanitizer" "$target" "$corpus" -- \
        -max_total_time="$per_target" \
        -timeout=10 \
        -rss_limit_mb=2048 \
        -print_final_stats=1 \
        "${flags[@]}" || status=1
done
exit $status
