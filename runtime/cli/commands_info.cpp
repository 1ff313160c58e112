// `mini-engine version`, `list` and `bench`, and the exception-to-exit-code mapping.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "config/load.h"
#include "config/registry.h"
#include "runtime/cli/commands.h"
#include "runtime/register.h"
#include "tensor/error.h"

#ifndef MINI_VERSION
#define MINI_VERSION "unknown"
#endif
#ifndef MINI_BUILD_TYPE
#define MINI_BUILD_TYPE "unknown"
#endif

namespace mini::runtime::cli {

int run_guarded(const std::function<int()>& command) {
  try {
    return command();
  } catch (const config::ConfigError& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  } catch (const InternalError& error) {
    std::fprintf(stderr, "internal error (a bug in mini-engine, please report it): %s\n", error.what());
    return 2;
  } catch (const Error& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "internal error (a bug in mini-engine, please report it): %s\n", error.what());
    return 2;
  }
}

int version() {
  std::string features;
  auto feature = [&](const char* name, bool present) {
    if (!present) return;
    if (!features.empty()) features += ' ';
    features += name;
  };
  __builtin_cpu_init();
  feature("sse4.2", __builtin_cpu_supports("sse4.2"));
  feature("avx", __builtin_cpu_supports("avx"));
  feature("avx2", __builtin_cpu_supports("avx2"));
  feature("fma", __builtin_cpu_supports("fma"));
  feature("f16c", __builtin_cpu_supports("f16c"));
  feature("avx512f", __builtin_cpu_supports("avx512f"));
  feature("avx512bw", __builtin_cpu_supports("avx512bw"));
  feature("avx512bf16", __builtin_cpu_supports("avx512bf16"));
  fmt::print("mini-engine {}\n", MINI_VERSION);
  fmt::print("build type: {}\n", MINI_BUILD_TYPE);
#ifdef MINI_CUDA_BUILT
  fmt::print("cuda: built with the CUDA backend (used when a GPU is present; env_cfg.device: cuda)\n");
#else
  fmt::print("cuda: no (built without nvcc; CPU only)\n");
#endif
  fmt::print("cpu threads: {}\n", std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  fmt::print("cpu features: {}\n", features);
  return 0;
}

int list(const std::optional<std::string>& kind) {
  register_builtin_components();
  std::vector<config::RegistryBase*> registries = config::all_registries();
  std::vector<std::string> kinds;
  for (auto* registry : registries) kinds.push_back(registry->kind());
  if (kind) {
    MINI_CHECK(config::find_registry(*kind) != nullptr, "list: unknown kind '{}'{}; kinds: {}", *kind,
               config::did_you_mean(*kind, kinds), fmt::join(kinds, ", "));
  }
  for (auto* registry : registries) {
    if (kind && registry->kind() != *kind) continue;
    fmt::print("{}:\n", registry->kind());
    for (const config::ComponentInfo* info : registry->components()) {
      fmt::print("  {}  {}\n", info->type, info->doc);
      for (const config::ArgSpec& arg : info->args) {
        std::string default_text = "required";
        if (arg.default_value) {
          default_text = arg.default_value->is_null() ? "default null" : "default " + arg.default_value->text();
          if (arg.default_value->is_sequence() || arg.default_value->is_map()) {
            default_text = "default " + config::to_yaml(*arg.default_value);
            while (!default_text.empty() && default_text.back() == '\n') default_text.pop_back();
          }
        }
        std::string choices;
        if (!arg.choices.empty()) choices = fmt::format(" one of {{{}}}", fmt::join(arg.choices, ", "));
        fmt::print("      {:<22} {:<14} {:<16} {}{}\n", arg.name, config::arg_type_name(arg.type, arg.component_kind),
                   default_text, arg.doc, choices);
      }
    }
  }
  return 0;
}

int bench(const std::vector<std::string>& args, const std::string& argv0) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  fs::path self = fs::canonical("/proc/self/exe", ignored);
  if (self.empty()) self = fs::absolute(argv0);
  const fs::path bench_exe = self.parent_path() / "mini_bench";
  MINI_CHECK(fs::exists(bench_exe),
             "bench: {} not found; build it with the benchmarks enabled (cmake -DMINI_BUILD_BENCH=ON, target "
             "mini_bench)", bench_exe.string());
  std::vector<std::string> storage = {bench_exe.string()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execv(bench_exe.c_str(), argv.data());
  MINI_CHECK(false, "bench: could not run {}", bench_exe.string());
  return 2;
}

}  // namespace mini::runtime::cli
