# Sourced by the build scripts: LAUNCHER holds the CMake flag that compiles through
# ccache when it is installed (scripts/deps.sh installs it), and nothing otherwise.
# The cache is keyed by absolute paths (no CCACHE_BASEDIR), so it serves repeated
# builds of one checkout, never another checkout's objects.
LAUNCHER=()
if command -v ccache >/dev/null; then
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
