#!/bin/sh
# Fetches the Japanese TrueType fonts embedded in the PDF renderer from the
# npm registry (versions pinned by package-lock.json) and copies them to
# internal/docgen/fonts/files/ under stable names. The fonts are OFL and are
# never committed; run this (make fonts) before building.
set -eu
cd "$(dirname "$0")/.."

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund
fi

dst=internal/docgen/fonts/files
mkdir -p "$dst"
copy() {
	src="node_modules/$1"
	if [ ! -f "$src" ]; then
		echo "fonts.sh: $src がありません (package.json を確認してください)" >&2
		exit 1
	fi
	cp "$src" "$dst/$2"
}
copy @expo-google-fonts/noto-serif-jp/400Regular/NotoSerifJP_400Regular.ttf serif-regular.ttf
copy @expo-google-fonts/noto-serif-jp/700Bold/NotoSerifJP_700Bold.ttf serif-bold.ttf
copy @expo-google-fonts/biz-udpgothic/400Regular/BIZUDPGothic_400Regular.ttf gothic-regular.ttf
copy @expo-google-fonts/biz-udpgothic/700Bold/BIZUDPGothic_700Bold.ttf gothic-bold.ttf
echo "fonts.sh: $dst に 4 書体をコピーしました"
