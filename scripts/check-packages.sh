#!/usr/bin/env bash
# Every package as npm users get it: package.json rules (scripts/check-manifests.ts), then publint and
# @arethetypeswrong/cli on the tarball `pnpm pack` makes. Needs the packages built: `pnpm check:packages`
# builds first. attw runs with no profile and nothing ignored: every entry point resolves for node10,
# node16 from CommonJS (the .cjs entry and .d.cts declarations), node16 from ESM and bundler.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm exec node scripts/check-manifests.ts
pnpm exec node scripts/check-links.ts

packs="$(mktemp -d)"
trap 'rm -rf "$packs"' EXIT
for dir in packages/*/; do
  [[ -f "${dir}package.json" ]] || continue
  if [[ ! -f "${dir}dist/index.js" ]]; then
    echo "check-packages: ${dir}dist is missing: run pnpm build first" >&2
    exit 1
  fi
  echo "== ${dir%/}"
  (cd "$dir" && pnpm exec publint run --strict --pack pnpm)
  before="$(ls "$packs")"
  (cd "$dir" && pnpm pack --pack-destination "$packs" >/dev/null)
  tarball="$(comm -13 <(echo "$before") <(ls "$packs"))"
  # --no-definitely-typed: our packages have no @types counterpart; do not ask the registry for one.
  pnpm exec attw "$packs/$tarball" --no-definitely-typed --format table-flipped --no-emoji --no-color
done
echo "check-packages: publint and attw passed for every package"
