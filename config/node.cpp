// config::Node: an ordered YAML tree whose nodes remember where they were written.
#include "config/node.h"

#include <fmt/format.h>

#include <cmath>

#include "config/detail/scalar.h"
#include "config/registry.h"

namespace mini::config {

std::string SourceLocation::str() const {
  if (origin == "command line") {
    return override_text.empty() ? origin : "command line override '" + override_text + "'";
  }
  if (!origin.empty()) return origin;
  if (file.empty()) return "<unknown>";
  return line > 0 ? fmt::format("{}:{}", file, line) : file;
}

std::string SourceLocation::chain() const {
  if (included_by.empty()) return "";
  return " (included from " + fmt::format("{}", fmt::join(included_by, " <- ")) + ")";
}

namespace {

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

[[noreturn]] void throw_at(const SourceLocation& location, const std::string& path,
                           const std::string& message) {
  std::string prefix = location.str() + ": ";
  if (!path.empty()) prefix += path + ": ";
  throw ConfigError(prefix + message + location.chain());
}

}  // namespace

Node Node::null(SourceLocation location) {
  Node node;
  node.location_ = std::move(location);
  return node;
}

Node Node::scalar(std::string text, SourceLocation location, bool quoted) {
  Node node;
  node.location_ = std::move(location);
  node.set_scalar(std::move(text), quoted);
  return node;
}

Node Node::sequence(SourceLocation location) {
  Node node;
  node.kind_ = Kind::Sequence;
  node.location_ = std::move(location);
  return node;
}

Node Node::map(SourceLocation location) {
  Node node;
  node.kind_ = Kind::Map;
  node.location_ = std::move(location);
  return node;
}

Node Node::from(bool value) { return scalar(value ? "true" : "false"); }
Node Node::from(int64_t value) { return scalar(std::to_string(value)); }

Node Node::from(double value) {
  if (std::isnan(value)) return scalar(".nan");
  if (std::isinf(value)) return scalar(value < 0 ? "-.inf" : ".inf");
  // Shortest text that reads back as the same double; "1" gets ".0" so it stays a float.
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return scalar(std::move(text));
}

Node Node::from(std::string value) { return scalar(std::move(value), {}, /*quoted=*/true); }

void Node::set_scalar(std::string text, bool quoted) {
  // A plain "~", "null" or "" is YAML's null, not a string.
  kind_ = !quoted && detail::classify_plain(text) == detail::ScalarType::Null ? Kind::Null
                                                                               : Kind::Scalar;
  text_ = std::move(text);
  quoted_ = quoted;
  map_.clear();
  sequence_.clear();
}

// ---- maps ----------------------------------------------------------------

bool Node::contains(std::string_view key) const { return find(key) != nullptr; }

const Node* Node::find(std::string_view key) const {
  for (const auto& [name, value] : map_) {
    if (name == key) return &value;
  }
  return nullptr;
}

Node* Node::find(std::string_view key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}

const Node& Node::at(std::string_view key) const {
  if (!is_map()) fail(fmt::format("expected a map with key '{}', got {}", key, describe()));
  if (const Node* child = find(key)) return *child;
  fail(fmt::format("missing key '{}'{}", key, did_you_mean(key, keys())));
}

Node& Node::at(std::string_view key) {
  return const_cast<Node&>(static_cast<const Node*>(this)->at(key));
}

Node& Node::operator[](std::string_view key) {
  if (is_null()) kind_ = Kind::Map;
  if (!is_map()) fail(fmt::format("cannot look up key '{}' in {}", key, describe()));
  if (Node* child = find(key)) return *child;
  Node child;
  child.path_ = child_path(path_, key);
  map_.emplace_back(std::string(key), std::move(child));
  return map_.back().second;
}

void Node::set(std::string key, Node value) {
  if (is_null()) kind_ = Kind::Map;
  if (!is_map()) fail(fmt::format("cannot set key '{}' in {}", key, describe()));
  value.set_path(child_path(path_, key));
  if (Node* existing = find(key)) {
    *existing = std::move(value);
  } else {
    map_.emplace_back(std::move(key), std::move(value));
  }
}

bool Node::erase(std::string_view key) {
  for (auto it = map_.begin(); it != map_.end(); ++it) {
    if (it->first == key) {
      map_.erase(it);
      return true;
    }
  }
  return false;
}

std::vector<std::string> Node::keys() const {
  std::vector<std::string> names;
  names.reserve(map_.size());
  for (const auto& item : map_) names.push_back(item.first);
  return names;
}

// ---- sequences -----------------------------------------------------------

size_t Node::size() const {
  if (is_sequence()) return sequence_.size();
  if (is_map()) return map_.size();
  return 0;
}

const Node& Node::operator[](size_t index) const {
  if (!is_sequence()) fail(fmt::format("expected a list to take element {} of, got {}", index, describe()));
  if (index >= sequence_.size()) {
    fail(fmt::format("index {} is out of range for a list of {} elements", index, sequence_.size()));
  }
  return sequence_[index];
}

Node& Node::operator[](size_t index) {
  return const_cast<Node&>(static_cast<const Node&>(*this)[index]);
}

void Node::push_back(Node value) {
  if (is_null()) kind_ = Kind::Sequence;
  if (!is_sequence()) fail(fmt::format("cannot append to {}", describe()));
  value.set_path(child_path(path_, std::to_string(sequence_.size())));
  sequence_.push_back(std::move(value));
}

// ---- paths, errors, equality --------------------------------------------------------

void Node::set_path(std::string path) {
  path_ = std::move(path);
  for (auto& [key, value] : map_) value.set_path(child_path(path_, key));
  for (size_t i = 0; i < sequence_.size(); ++i) {
    sequence_[i].set_path(child_path(path_, std::to_string(i)));
  }
}

void Node::fail(const std::string& message) const { throw_at(location_, path_, message); }

void Node::fail_at(const SourceLocation& location, const std::string& message) const {
  throw_at(location, path_, message);
}

bool Node::operator==(const Node& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::Null:
      return true;
    case Kind::Scalar:
      // Typed comparison: a quoted "abc" equals a plain abc, a quoted "1" is not the int 1.
      return text_ == other.text_ && type_name() == other.type_name();
    case Kind::Sequence:
      return sequence_ == other.sequence_;
    case Kind::Map:
      // YAML maps are unordered.
      if (map_.size() != other.map_.size()) return false;
      for (const auto& [key, value] : map_) {
        const Node* theirs = other.find(key);
        if (theirs == nullptr || !(*theirs == value)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace mini::config
