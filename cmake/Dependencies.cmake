# Every dependency comes from a Debian package installed by scripts/setup.sh.
find_package(Threads REQUIRED)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(fmt REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS context)

add_library(mini_deps INTERFACE)
# Eigen is header-only and used by exactly one translation unit (the CPU GEMM),
# so its include path is not part of the public interface.
target_link_libraries(mini_deps INTERFACE Threads::Threads yaml-cpp nlohmann_json::nlohmann_json ZLIB::ZLIB fmt::fmt)

if(MINI_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(MINI_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
