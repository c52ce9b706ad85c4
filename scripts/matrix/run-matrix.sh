#!/usr/bin/env bash
# Compatibility matrix of the adapters (issue 15): packs @tokenwarden/core, /axios and /ky, installs the
# tarballs with npm into fresh projects against the lowest and the latest release of each supported
# major of the client (exact versions: npm here may run on an older Node and would pick other ones),
# type-checks a consumer (ES module, and for axios CommonJS too) with the repository's tsc, and runs the
# adapter scenarios (scenarios.mts) on Node >= 22.12 against local servers.
# Usage: bash scripts/matrix/run-matrix.sh [axios@1.7.0 ky@2.1.0 ...]   (needs the packages built)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# The supported range of each client, by its ends (package.json peerDependencies say the same).
entries=("$@")
if [[ ${#entries[@]} -eq 0 ]]; then
  entries=(axios@1.7.0 axios@1.21.1 ky@1.13.0 ky@1.14.3 ky@2.0.0 ky@2.1.0)
fi

node24="$(pnpm exec node -e 'process.stdout.write(process.execPath)')"
tsc="$root/node_modules/typescript/bin/tsc"
for package in core axios ky; do
  if [[ ! -f "packages/$package/dist/index.js" ]]; then
    echo "run-matrix: packages/$package/dist is missing: run pnpm build first" >&2
    exit 1
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for package in core axios ky; do
  (cd "packages/$package" && pnpm pack --pack-destination "$work" >/dev/null)
done
core="$(ls "$work"/tokenwarden-core-*.tgz)"

# One project per entry, installed in parallel (npm spends its time waiting for the registry).
pids=()
for entry in "${entries[@]}"; do
  client="${entry%@*}"
  project="$work/$entry"
  mkdir -p "$project"
  cp "$here/scenarios.mts" "$here/$client-consumer.mts" "$project/"
  printf '{ "name": "matrix-%s", "private": true, "type": "module" }\n' "${entry//@/-}" >"$project/package.json"
  (
    cd "$project"
    npm install --no-audit --no-fund --no-package-lock --ignore-scripts --loglevel=error \
      "$core" "$(ls "$work"/tokenwarden-"$client"-*.tgz)" "$entry" >install.log 2>&1 || {
      cat install.log >&2
      exit 1
    }
  ) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

failed=0
for entry in "${entries[@]}"; do
  client="${entry%@*}"
  project="$work/$entry"
  echo "== $entry"
  cd "$project"
  files=("$client-consumer.mts")
  if [[ "$client" == axios ]]; then
    # The same consumer as a CommonJS module: axios resolves to its require types (index.d.cts) there.
    cp "$client-consumer.mts" "$client-consumer.cts"
    files+=("$client-consumer.cts")
  fi
  if "$node24" "$tsc" --noEmit --strict --skipLibCheck false --module nodenext --moduleResolution nodenext --target es2023 --lib es2023,dom --types node --typeRoots "$root/node_modules/@types" \
    "${files[@]}" >tsc.log 2>&1; then
    echo "  ok   $entry: types (${files[*]})"
  else
    echo "  FAIL $entry: types (${files[*]})"
    cat tsc.log
    failed=1
  fi
  "$node24" scenarios.mts "$client" || failed=1
  cd "$root"
done
exit "$failed"
