#!/usr/bin/env bash
# Build the fake Kaspersky .deb packages (tests/fixtures/packages/README.md) into $1.
# File modes are set here because git only keeps the executable bit.
set -euo pipefail
here=$(cd "$(dirname "$0")/../fixtures/packages" && pwd)
out=${1:?usage: build_fake_debs.sh OUTPUT_DIR}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pkg in kesl kesl-gui klnagent64; do
    cp -a "$here/$pkg" "$work/$pkg"
    find "$work/$pkg" -type d -exec chmod 0755 {} +
    find "$work/$pkg" -type f ! -perm -u+x -exec chmod 0644 {} +
    find "$work/$pkg" -type f -perm -u+x -exec chmod 0755 {} +
    version=$(sed -n 's/^Version: //p' "$work/$pkg/DEBIAN/control")
    dpkg-deb --root-owner-group --build "$work/$pkg" "$out/${pkg}_${version}_all.deb" >/dev/null
done
# Decoys: packages named like real Debian packages that start like Kaspersky ones and must never
# match (klavaro: typing tutor, kasumi: Anthy dictionary editor, klatexformula: LaTeX renderer).
for decoy in klavaro:3.13-2 kasumi:2.5-11 klatexformula:4.1.0-1+b2; do
    name=${decoy%%:*}
    version=${decoy#*:}
    mkdir -p "$work/$name/DEBIAN" "$work/$name/usr/bin"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: fleetsec.banned_av test fixture <noreply@example.invalid>\nDescription: decoy named like the Debian package %s (TEST FIXTURE)\n' \
        "$name" "$version" "$name" > "$work/$name/DEBIAN/control"
    printf '#!/bin/sh\necho %s decoy\n' "$name" > "$work/$name/usr/bin/$name"
    chmod 0755 "$work/$name/usr/bin/$name"
    dpkg-deb --root-owner-group --build "$work/$name" "$out/${name}_${version}_all.deb" >/dev/null
done
ls "$out"/*.deb
