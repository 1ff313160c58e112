#pragma once
// YAML 1.2 core-schema reading of a plain scalar's text, shared by Node's
// getters (node_scalar.cpp) and the emitter (emit.cpp), which must quote a
// string exactly when its plain form would read as something else.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mini::config::detail {

enum class ScalarType { Null, Bool, Int, Float, String };

// What an unquoted scalar with this text means: "~" null, "True" bool,
// "0x1F" int, "1e-3" float, anything else a string.
ScalarType classify_plain(std::string_view text);
// "null", "bool", "int", "float", "string".
const char* scalar_type_name(ScalarType type);

std::optional<bool> parse_bool(std::string_view text);
// Decimal, 0x hex or 0o octal, with an optional sign; nullopt if the text is
// not an int or does not fit in 64 bits (`overflow` tells which).
std::optional<int64_t> parse_int(std::string_view text, bool* overflow = nullptr);
// Core-schema floats and ints, ".inf", "-.inf", ".nan".
std::optional<double> parse_float(std::string_view text);

}  // namespace mini::config::detail
