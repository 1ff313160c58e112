#pragma once
// config::Node: the configuration tree. A YAML document becomes a tree of
// maps (ordered), sequences and scalars; every node remembers where it came
// from (file:line:column and the `_base_` chain that included the file), so
// any error about a value can point at the line that set it.
//
//   config::Node cfg = config::load_file("train.yaml");          // _base_ resolved
//   config::apply_overrides(cfg, {"optim_wrapper.optimizer.lr=0.1"});
//   config::resolve_interpolations(cfg);                          // ${a.b}, ${env:NAME,default}
//   double lr = cfg.at("optim_wrapper").at("optimizer").at("lr").as_double();
//
// Scalars keep their text; as_bool/as_int/as_double/as_string interpret it with
// YAML 1.2 core-schema rules ("true", "0x10", "1e-3", ".inf"), and a quoted
// scalar is always a string. This layer knows nothing of tensors.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor/error.h"

namespace mini::config {

// Where a node was written. `included_by` lists the files whose `_base_`
// pulled this file in, nearest first ("base.yaml" <- "train.yaml").
struct SourceLocation {
  std::string file;  // empty for nodes made in code or from overrides without a file
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based
  std::string origin;  // "" for files; "command line" for overrides, "default" for registry defaults
  std::vector<std::string> included_by;
  std::string override_text;  // for "command line": the whole "a.b=value" it came from
  // "train.yaml:14", "command line override 'a.b=1'", "default" or "<unknown>".
  std::string str() const;
  // " (included from a.yaml <- b.yaml)" or "".
  std::string chain() const;
};

// A user error in a configuration (exit code 1 from the CLI). The message
// starts with the location: "train.yaml:14: optim_wrapper.optimizer: ...".
class ConfigError : public ValueError {
 public:
  using ValueError::ValueError;
};

class Node {
 public:
  enum class Kind { Null, Scalar, Sequence, Map };
  using MapItem = std::pair<std::string, Node>;

  Node() = default;  // null
  static Node null(SourceLocation location = {});
  // A plain (unquoted) scalar: interpreted by YAML rules.
  static Node scalar(std::string text, SourceLocation location = {}, bool quoted = false);
  static Node sequence(SourceLocation location = {});
  static Node map(SourceLocation location = {});
  // Convenience for code-made values (tests, defaults).
  static Node from(bool value);
  static Node from(int64_t value);
  static Node from(int value) { return from(static_cast<int64_t>(value)); }
  static Node from(double value);
  static Node from(std::string value);  // quoted: stays a string
  static Node from(const char* value) { return from(std::string(value)); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_scalar() const { return kind_ == Kind::Scalar; }
  bool is_sequence() const { return kind_ == Kind::Sequence; }
  bool is_map() const { return kind_ == Kind::Map; }
  // "null", "bool", "int", "float", "string", "list", "map" (what a scalar reads as).
  std::string type_name() const;
  // For messages: "'1.5' (float)", "null", "a list", "a map".
  std::string describe() const;

  // Scalar interpretation; throws ConfigError naming location and path.
  bool is_bool() const;
  bool is_int() const;
  bool is_number() const;  // int or float
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;  // ints too
  // The text of any scalar (numbers and bools as written).
  const std::string& as_string() const;
  const std::string& text() const { return text_; }
  bool quoted() const { return quoted_; }
  void set_scalar(std::string text, bool quoted);

  // ---- maps (insertion order kept) ----
  bool contains(std::string_view key) const;
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  // Throws ConfigError ("<loc>: <path>: missing key 'x'") when absent.
  const Node& at(std::string_view key) const;
  Node& at(std::string_view key);
  // Inserts a null node if absent (turns a null node into a map).
  Node& operator[](std::string_view key);
  void set(std::string key, Node value);  // replaces or appends
  bool erase(std::string_view key);
  const std::vector<MapItem>& items() const { return map_; }
  std::vector<MapItem>& items() { return map_; }
  std::vector<std::string> keys() const;

  // ---- sequences ----
  size_t size() const;  // elements of a sequence or entries of a map, 0 otherwise
  const Node& operator[](size_t index) const;
  Node& operator[](size_t index);
  void push_back(Node value);
  const std::vector<Node>& elements() const { return sequence_; }
  std::vector<Node>& elements() { return sequence_; }

  const SourceLocation& location() const { return location_; }
  void set_location(SourceLocation location) { location_ = std::move(location); }
  // Dotted path from the root ("optim_wrapper.optimizer.lr", "custom_hooks.0.type"),
  // set by the loader and kept up to date by set()/push_back(); "" for the root.
  const std::string& path() const { return path_; }
  void set_path(std::string path);  // recursive: children get path + "." + key

  // Throws ConfigError "<location>: <path>: <message><chain>".
  [[noreturn]] void fail(const std::string& message) const;
  // Same, naming `location` (e.g. a child's line) with this node's path.
  [[noreturn]] void fail_at(const SourceLocation& location, const std::string& message) const;

  // Deep equality of structure and scalar text (locations ignored).
  bool operator==(const Node& other) const;

 private:
  Kind kind_ = Kind::Null;
  std::string text_;
  bool quoted_ = false;
  std::vector<MapItem> map_;
  std::vector<Node> sequence_;
  SourceLocation location_;
  std::string path_;
};

}  // namespace mini::config
