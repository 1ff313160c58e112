// Command-line overrides "a.b.c=value": the value is YAML, so types follow the
// same rules as in files ("1e-3" float, "[3, 6]" list, "'001'" string).
#include <fmt/format.h>

#include <charconv>

#include "config/load.h"

namespace mini::config {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<size_t> parse_index(std::string_view segment) {
  size_t index = 0;
  auto [end, error] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
  if (error != std::errc() || end != segment.data() + segment.size()) return std::nullopt;
  return index;
}

void relocate(Node& node, const SourceLocation& location) {
  node.set_location(location);
  for (auto& [key, value] : node.items()) relocate(value, location);
  for (auto& element : node.elements()) relocate(element, location);
}

std::string shown(const std::string& path) { return path.empty() ? "the root" : "'" + path + "'"; }

}  // namespace

void apply_override(Node& root, const std::string& assignment) {
  auto fail = [&](const std::string& message) {
    throw ConfigError(fmt::format("command line override '{}': {}", assignment, message));
  };
  size_t equals = assignment.find('=');
  if (equals == std::string::npos) {
    fail("expected key=value (e.g. optim_wrapper.optimizer.lr=0.01)");
  }
  std::string_view key = trim(std::string_view(assignment).substr(0, equals));
  if (key.empty()) fail("the key before '=' is empty");
  std::vector<std::string> segments;
  for (size_t start = 0;;) {
    size_t dot = key.find('.', start);
    segments.emplace_back(key.substr(start, dot - start));
    if (segments.back().empty()) fail(fmt::format("key '{}' has an empty segment", key));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }

  Node value;
  try {
    value = parse_yaml(assignment.substr(equals + 1), "value");
  } catch (const ConfigError& e) {
    fail(e.what());
  }
  SourceLocation location;
  location.origin = "command line";
  location.override_text = assignment;
  relocate(value, location);

  Node* current = &root;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    const bool last = i + 1 == segments.size();
    if (current->is_sequence()) {
      auto index = parse_index(segment);
      if (!index) {
        fail(fmt::format("'{}' is not a list index, and {} is a list", segment, shown(current->path())));
      }
      if (*index >= current->size()) {
        fail(fmt::format("index {} is past the end of {} ({} elements)", *index, shown(current->path()),
                         current->size()));
      }
      Node& element = current->elements()[*index];
      if (last) {
        std::string path = element.path();
        element = std::move(value);
        element.set_path(std::move(path));
        return;
      }
      current = &element;
    } else if (current->is_map() || current->is_null()) {
      // A missing (or null) intermediate becomes a map.
      if (last) {
        current->set(segment, std::move(value));
        return;
      }
      current = &(*current)[segment];
    } else {
      fail(fmt::format("cannot set '{}' inside {}, which is {}", segment, shown(current->path()),
                       current->describe()));
    }
  }
}

void apply_overrides(Node& root, const std::vector<std::string>& assignments) {
  for (const auto& assignment : assignments) apply_override(root, assignment);
}

}  // namespace mini::config
