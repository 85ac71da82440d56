#!/usr/bin/env bash
# System packages the tests need: Chromium (browser tests), pandoc (PDF export),
# wrk (load benchmark baseline), git (diff verification), golang-go (compile checks of Go fixes),
# poppler-utils (PDF pages as PNG). Installed with apt when
# missing and when we are root; otherwise we say what is missing and go on.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pandoc   >/dev/null 2>&1 || need+=(pandoc)
command -v wrk      >/dev/null 2>&1 || need+=(wrk)
command -v git      >/dev/null 2>&1 || need+=(git)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)  # the PDF export test looks at the pages
# Go toolchain: the rules reviewer compile-checks its Go fixes (gofmt -e, go vet); skipped with a reason when absent
command -v go       >/dev/null 2>&1 || need+=(golang-go)
# fonts for Chromium screenshots and weasyprint PDFs
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "sysdeps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "sysdeps: missing ${need[*]} (not root: install them with your package manager; the tests that need them are skipped, each with its reason)" >&2
fi
