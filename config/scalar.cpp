// YAML 1.2 core-schema scalars (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
// and Node's typed getters. YAML 1.2, not 1.1: "1e-3" is a float (PyYAML reads
// it as a string) and "yes"/"on" are strings, not bools.
#include <charconv>
#include <cmath>
#include <limits>

#include "config/detail/scalar.h"
#include "config/node.h"

namespace mini::config {
namespace detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strips one leading sign; returns true for '-'.
bool take_sign(std::string_view& text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    bool negative = text[0] == '-';
    text.remove_prefix(1);
    return negative;
  }
  return false;
}

bool all_of(std::string_view text, bool (*pred)(char)) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!pred(c)) return false;
  }
  return true;
}

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_octal(char c) { return c >= '0' && c <= '7'; }

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool is_decimal_float(std::string_view text) {
  take_sign(text);
  size_t i = 0;
  size_t int_digits = 0;
  while (i < text.size() && is_digit(text[i])) ++i, ++int_digits;
  size_t frac_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && is_digit(text[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < text.size() && is_digit(text[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == text.size();
}

bool is_special_float(std::string_view text) {
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return true;
  take_sign(text);
  return text == ".inf" || text == ".Inf" || text == ".INF";
}

// The int grammar without the range check.
bool looks_like_int(std::string_view text) {
  take_sign(text);
  if (text.starts_with("0x")) return all_of(text.substr(2), is_hex);
  if (text.starts_with("0o")) return all_of(text.substr(2), is_octal);
  return all_of(text, is_digit);
}

}  // namespace

ScalarType classify_plain(std::string_view text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return ScalarType::Null;
  }
  if (parse_bool(text)) return ScalarType::Bool;
  if (looks_like_int(text)) return ScalarType::Int;
  if (is_decimal_float(text) || is_special_float(text)) return ScalarType::Float;
  return ScalarType::String;
}

const char* scalar_type_name(ScalarType type) {
  switch (type) {
    case ScalarType::Null: return "null";
    case ScalarType::Bool: return "bool";
    case ScalarType::Int: return "int";
    case ScalarType::Float: return "float";
    case ScalarType::String: return "string";
  }
  return "string";
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view text, bool* overflow) {
  if (overflow) *overflow = false;
  if (!looks_like_int(text)) return std::nullopt;
  bool negative = take_sign(text);
  int base = 10;
  if (text.starts_with("0x")) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.starts_with("0o")) {
    base = 8;
    text.remove_prefix(2);
  }
  uint64_t magnitude = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  const uint64_t limit = negative ? uint64_t{1} << 63 : uint64_t{std::numeric_limits<int64_t>::max()};
  if (error != std::errc() || end != text.data() + text.size() || magnitude > limit) {
    if (overflow) *overflow = true;
    return std::nullopt;
  }
  // Negate in unsigned arithmetic so INT64_MIN does not overflow.
  return negative ? static_cast<int64_t>(uint64_t{0} - magnitude) : static_cast<int64_t>(magnitude);
}

std::optional<double> parse_float(std::string_view text) {
  if (auto as_int = parse_int(text)) return static_cast<double>(*as_int);
  if (is_special_float(text)) {
    if (text.find("nan") != std::string_view::npos || text.find("NaN") != std::string_view::npos ||
        text.find("NAN") != std::string_view::npos) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return text[0] == '-' ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
  }
  if (!is_decimal_float(text)) return std::nullopt;
  if (text[0] == '+') text.remove_prefix(1);  // from_chars rejects a leading '+'
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size()) return std::nullopt;
  // Out of range: from_chars leaves `value` alone; YAML means +-inf or 0.
  if (error == std::errc::result_out_of_range) {
    bool tiny = text.find_first_of("eE") != std::string_view::npos &&
                text[text.find_first_of("eE") + 1] == '-';
    bool negative = text[0] == '-';
    if (tiny) return negative ? -0.0 : 0.0;
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  return value;
}

}  // namespace detail

namespace {

detail::ScalarType scalar_type(const Node& node) {
  return node.quoted() ? detail::ScalarType::String : detail::classify_plain(node.text());
}

[[noreturn]] void fail_expected(const Node& node, const char* expected) {
  node.fail(std::string("expected ") + expected + ", got " + node.describe());
}

}  // namespace

std::string Node::type_name() const {
  switch (kind_) {
    case Kind::Null: return "null";
    case Kind::Sequence: return "list";
    case Kind::Map: return "map";
    case Kind::Scalar: break;
  }
  return detail::scalar_type_name(scalar_type(*this));
}

std::string Node::describe() const {
  switch (kind_) {
    case Kind::Null: return "null";
    case Kind::Sequence: return "a list";
    case Kind::Map: return "a map";
    case Kind::Scalar: break;
  }
  return "'" + text_ + "' (" + type_name() + ")";
}

bool Node::is_bool() const { return is_scalar() && scalar_type(*this) == detail::ScalarType::Bool; }
bool Node::is_int() const { return is_scalar() && scalar_type(*this) == detail::ScalarType::Int; }
bool Node::is_number() const {
  if (!is_scalar()) return false;
  auto type = scalar_type(*this);
  return type == detail::ScalarType::Int || type == detail::ScalarType::Float;
}

bool Node::as_bool() const {
  if (!is_bool()) fail_expected(*this, "a bool (true/false)");
  return *detail::parse_bool(text_);
}

int64_t Node::as_int() const {
  if (!is_int()) fail_expected(*this, "an int");
  bool overflow = false;
  auto value = detail::parse_int(text_, &overflow);
  if (!value) fail("int '" + text_ + "' does not fit in 64 bits");
  return *value;
}

double Node::as_double() const {
  if (!is_number()) fail_expected(*this, "a number");
  return *detail::parse_float(text_);
}

const std::string& Node::as_string() const {
  if (!is_scalar()) fail_expected(*this, "a string");
  return text_;
}

}  // namespace mini::config
