// to_yaml: block-style YAML that reads back to the same tree. Strings are
// quoted only when their plain form would read differently ("001", "true",
// "", "a: b"), so the output looks like what a person would write.
#include <fmt/format.h>

#include <optional>

#include "config/detail/scalar.h"
#include "config/load.h"

namespace mini::config {
namespace {

// Short lists of scalars print as `[1, 2, 3]`, the way configs write them.
constexpr size_t kMaxFlowListWidth = 60;

bool plain_form_is_ambiguous(std::string_view text, bool in_flow_list) {
  if (text.empty()) return true;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(text.front()) != std::string_view::npos) return true;
  if (text.front() == ' ' || text.back() == ' ' || text.back() == ':') return true;
  if (text.starts_with("...")) return true;
  if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos) return true;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
    if (in_flow_list && std::string_view(",[]{}").find(static_cast<char>(c)) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

std::string double_quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string scalar_text(const Node& node, bool in_flow_list) {
  if (node.is_null()) return "null";
  const std::string& text = node.text();
  const auto plain_type = detail::classify_plain(text);
  if (!node.quoted() && plain_type != detail::ScalarType::String) return text;  // 5, -1e-3, true
  // A string: quoted when its plain form would read as another type or break the syntax.
  if (plain_type != detail::ScalarType::String || plain_form_is_ambiguous(text, in_flow_list)) {
    return double_quoted(text);
  }
  return text;
}

std::string key_text(const std::string& key) {
  // The parser keeps key text as written, so only syntax (and null, which is no key) forces quotes.
  bool needs_quotes = plain_form_is_ambiguous(key, false) ||
                      detail::classify_plain(key) == detail::ScalarType::Null;
  return needs_quotes ? double_quoted(key) : key;
}

class Emitter {
 public:
  explicit Emitter(bool with_sources) : with_sources_(with_sources) {}

  std::string emit(const Node& node) {
    if (auto inline_text = inline_form(node)) return *inline_text + source_comment(node) + "\n";
    std::string out;
    block(node, 0, out);
    return out;
  }

 private:
  // The one-line form of a scalar, an empty collection or a short scalar list.
  std::optional<std::string> inline_form(const Node& node) const {
    switch (node.kind()) {
      case Node::Kind::Null:
      case Node::Kind::Scalar:
        return scalar_text(node, false);
      case Node::Kind::Map:
        if (node.size() == 0) return "{}";
        return std::nullopt;
      case Node::Kind::Sequence:
        break;
    }
    std::string flow = "[";
    for (const auto& element : node.elements()) {
      if (!element.is_scalar() && !element.is_null()) return std::nullopt;
      if (flow.size() > 1) flow += ", ";
      flow += scalar_text(element, true);
      if (flow.size() > kMaxFlowListWidth) return std::nullopt;
    }
    return flow + "]";
  }

  // A non-empty map or list, every line indented by `indent`.
  void block(const Node& node, size_t indent, std::string& out) const {
    const std::string pad(indent, ' ');
    for (const auto& [key, value] : node.items()) {
      out += pad + key_text(key) + ":";
      if (auto inline_text = inline_form(value)) {
        out += " " + *inline_text + source_comment(value) + "\n";
      } else {
        out += "\n";
        block(value, indent + 2, out);
      }
    }
    for (const auto& element : node.elements()) {
      if (auto inline_text = inline_form(element)) {
        out += pad + "- " + *inline_text + source_comment(element) + "\n";
        continue;
      }
      // A nested map or list starts on the dash's line: "- type: X" / "  lr: 1".
      std::string nested;
      block(element, indent + 2, nested);
      nested.replace(0, indent + 2, pad + "- ");
      out += nested;
    }
  }

  std::string source_comment(const Node& node) const {
    if (!with_sources_) return "";
    const SourceLocation& location = node.location();
    if (!location.origin.empty()) return "  # " + location.origin;
    if (location.file.empty()) return "";
    return location.line > 0 ? fmt::format("  # {}:{}", location.file, location.line) : "  # " + location.file;
  }

  bool with_sources_;
};

}  // namespace

std::string to_yaml(const Node& node, bool with_sources) { return Emitter(with_sources).emit(node); }

}  // namespace mini::config
