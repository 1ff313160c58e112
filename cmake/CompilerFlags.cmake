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
# Math functions never set errno here, which lets GCC vectorise sqrt & co.
target_compile_options(mini_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fno-math-errno>)

if(MINI_SANITIZE)
  list(JOIN MINI_SANITIZE "," sanitizers)
  target_compile_options(mini_flags INTERFACE -fsanitize=${sanitizers} -fno-omit-frame-pointer)
  target_link_options(mini_flags INTERFACE -fsanitize=${sanitizers})
endif()
