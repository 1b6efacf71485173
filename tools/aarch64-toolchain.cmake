# Cross-compiling news-processor for 64-bit Arm Linux with Debian's packages:
# gcc-aarch64-linux-gnu and libc6-dev-arm64-cross for the compiler and C library, and the arm64
# builds of libcjson-dev and libcmocka-dev installed through multiarch (dpkg
# --add-architecture arm64), which puts them in /usr/lib/aarch64-linux-gnu. Tests run under
# qemu-user (CMAKE_CROSSCOMPILING_EMULATOR). Used by tools/cross-aarch64.sh.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# pkg-config must see the arm64 .pc files only, never the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# qemu-user runs the test executables; the arm64 dynamic loader and libraries come from multiarch.
find_program(NP_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${NP_QEMU_AARCH64})
