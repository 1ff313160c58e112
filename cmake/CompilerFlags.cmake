# Compiler flags shared by every target, carried by the interface target mini_flags.
add_library(mini_flags INTERFACE)
# Consumers of the library (tests, embedding programs) need C++20 too.
target_compile_features(mini_flags INTERFACE cxx_std_20)

target_compile_options(mini_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${MINI_WERROR}>>:-Werror>)

if(MINI_MARCH)
  # The CPU kernels rely on the compiler vectorising plain loops; -march
  # decides the vector width (AVX2 by default, AVX-512 with 'native' here).
  target_compile_options(mini_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=${MINI_MARCH}>)
endif()
# Keep 512-bit vectors when -march allows them: GCC otherwise prefers 256-bit.
include(CheckCXXCompilerFlag)
check_cxx_compiler_flag("-mprefer-vector-width=512" MINI_HAS_PREFER_512)
if(MINI_HAS_PREFER_512)
  target_compile_options(mini_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-mprefer-vector-width=512>)
endif()
# NOTE [ GCC 12 SLP miscompile ]: GCC 12.2 with Intel tuning (-march=native on
# an Ice Lake / Rocket Lake Xeon, or -mtune=icelake-server) lets the SLP
# vectoriser store one broadcast vector over two neighbouring struct fields
# when a by-value aggregate is built on the stack: `Conv2d(6, 16, {5, 5})`
# received padding (1, 1) from its default `Conv2dOptions{}` and LeNet came
# out the wrong size. Loop vectorisation (the CPU kernels' fast paths) is
# unaffected, so only the straight-line SLP pass is turned off.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(mini_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fno-tree-slp-vectorize>)
endif()
# Math functions never set errno here, which lets GCC vectorise sqrt & co.
target_compile_options(mini_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fno-math-errno>)

if(MINI_SANITIZE)
  list(JOIN MINI_SANITIZE "," sanitizers)
  target_compile_options(mini_flags INTERFACE -fsanitize=${sanitizers} -fno-omit-frame-pointer)
  target_link_options(mini_flags INTERFACE -fsanitize=${sanitizers})
endif()
