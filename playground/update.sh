#!/usr/bin/env bash
# Vendors the playground's browser assets: installs the pinned npm packages
# into a temporary folder, copies the files the page loads into
# playground/vendor/ and writes playground/vendor/VERSIONS (package,
# version, file, sha256). The hub serves these files itself (compiled in),
# so the playground works on a network with no way out. Run it only to
# change a version; commit what it writes.
#
#   playground/update.sh
set -euo pipefail

GRAPHIQL=3.8.3
REACT=18.3.1

here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
printf '{ "name": "lienthong-playground-vendor", "private": true }\n' >package.json
npm install --no-audit --no-fund --ignore-scripts --save-exact \
  "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null

# package  file in the package  file in vendor/
files=(
  "graphiql graphiql.min.js graphiql.min.js"
  "graphiql graphiql.min.css graphiql.min.css"
  "react umd/react.production.min.js react.production.min.js"
  "react-dom umd/react-dom.production.min.js react-dom.production.min.js"
)

mkdir -p "$vendor"
rm -f "$vendor"/*.js "$vendor"/*.css
{
  echo "# The playground's vendored files, written by playground/update.sh."
  echo "# package version file sha256"
  for entry in "${files[@]}"; do
    read -r package source target <<<"$entry"
    version=$(node -p "require('./node_modules/$package/package.json').version")
    # Byte for byte as published, so that anyone can compare.
    cp "node_modules/$package/$source" "$vendor/$target"
    sum=$(sha256sum "$vendor/$target" | cut -d' ' -f1)
    echo "$package $version $target $sum"
  done
} >"$vendor/VERSIONS"
for package in graphiql react react-dom; do
  cp "node_modules/$package/LICENSE" "$vendor/LICENSE.$package"
done

cat "$vendor/VERSIONS"
