#!/bin/sh
# Compares Mamori's own PDF rendering of the 100-page benchmark report with
# LibreOffice converting Mamori's DOCX of the same report to PDF, on this
# machine, and prints the ratio (the target: Mamori at least 10x faster).
# Needs: make fonts, and LibreOffice (libreoffice-writer-nogui).
set -eu
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/mamori" ./cmd/mamori
"$dir/mamori" bench docgen --pages 100 -o "$dir" | tee "$dir/ours.txt"
ours=$(awk '$1 == "pdf" { sub("秒、", "", $2); print $2 }' "$dir/ours.txt")
# A first conversion warms LibreOffice's profile so the timed one is fair.
soffice --headless "-env:UserInstallation=file://$dir/profile" --convert-to pdf --outdir "$dir/warm" "$dir/report.docx" >/dev/null 2>&1
start=$(date +%s.%N)
soffice --headless "-env:UserInstallation=file://$dir/profile" --convert-to pdf --outdir "$dir/lo" "$dir/report.docx" >/dev/null 2>&1
end=$(date +%s.%N)
lo=$(echo "$end - $start" | bc -l)
pages=$(pdfinfo "$dir/lo/report.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
printf 'LibreOffice DOCX→PDF: %.2f 秒（%s ページ）\nMamori PDF: %s 秒\n比率: %.1f 倍\n' "$lo" "${pages:-?}" "$ours" "$(echo "$lo / $ours" | bc -l)"
