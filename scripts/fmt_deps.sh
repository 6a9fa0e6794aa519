# Sourced by the GPU scripts: where the machine has no {fmt} (Debian's
# libfmt-dev), unpacks the .debs carried in .deps/ (made here with
# `apt-get download libfmt-dev libfmt9`) and points CMake and the loader at
# them. Sets the array cmake_prefix (empty when the machine has {fmt}).
cmake_prefix=()
if [ ! -f /usr/include/fmt/core.h ] && ls .deps/*.deb > /dev/null 2>&1; then
  mkdir -p /tmp/gpustd-deps
  for f in .deps/*.deb; do dpkg -x "$f" /tmp/gpustd-deps; done
  cmake_prefix=(-DCMAKE_PREFIX_PATH=/tmp/gpustd-deps/usr)
  export LD_LIBRARY_PATH=/tmp/gpustd-deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
