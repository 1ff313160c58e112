#pragma once
// mini::Error and MINI_CHECK: every user-facing failure (bad shape, dtype,
// index, config, file) is reported by throwing mini::Error with a message that
// names the op and the values involved. Never an assert or a crash.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>

namespace mini {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown for mistakes in the user's input (shapes, configs, files).
class ValueError : public Error {
 public:
  using Error::Error;
};

// Thrown for an index outside its range.
class IndexError : public Error {
 public:
  using Error::Error;
};

// Thrown for a broken internal invariant: a bug in mini-engine, not in user input.
class InternalError : public Error {
 public:
  using Error::Error;
};

}  // namespace mini

// MINI_CHECK(cond, "fmt {}", args...): throws mini::ValueError with the formatted message.
#define MINI_CHECK(cond, ...)                                        \
  do {                                                               \
    if (!(cond)) [[unlikely]] {                                      \
      throw ::mini::ValueError(::fmt::format(__VA_ARGS__));          \
    }                                                                \
  } while (0)

// MINI_CHECK_INDEX: like MINI_CHECK but throws mini::IndexError.
#define MINI_CHECK_INDEX(cond, ...)                                  \
  do {                                                               \
    if (!(cond)) [[unlikely]] {                                      \
      throw ::mini::IndexError(::fmt::format(__VA_ARGS__));          \
    }                                                                \
  } while (0)

// MINI_ASSERT: an internal invariant; its failure is a bug and says where.
#define MINI_ASSERT(cond, ...)                                                      \
  do {                                                                              \
    if (!(cond)) [[unlikely]] {                                                     \
      throw ::mini::InternalError(::fmt::format("internal error at {}:{}: {}",      \
                                                __FILE__, __LINE__,                 \
                                                ::fmt::format(__VA_ARGS__)));       \
    }                                                                               \
  } while (0)
