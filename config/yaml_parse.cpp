// YAML text -> config::Node with yaml-cpp, keeping file:line:column of every
// node and whether each scalar was quoted (a quoted scalar is always a string).
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <map>

#include "config/load.h"

namespace mini::config {
namespace {

// Aliases are expanded into copies, so a self-referencing alias would recurse
// forever; no real config nests this deep.
constexpr int kMaxDepth = 256;

SourceLocation location_of(const YAML::Mark& mark, const std::string& file) {
  SourceLocation location;
  location.file = file;
  // yaml-cpp marks are 0-based, -1 when unknown (an empty document).
  location.line = mark.line >= 0 ? mark.line + 1 : 0;
  location.column = mark.column >= 0 ? mark.column + 1 : 0;
  return location;
}

[[noreturn]] void fail_at_mark(const YAML::Mark& mark, const std::string& file, const std::string& message) {
  throw ConfigError(fmt::format("{}:{}:{}: {}", file, mark.line + 1, mark.column + 1, message));
}

class Converter {
 public:
  explicit Converter(const std::string& file) : file_(file) {}

  // `key_mark` is the mark of the map key this value belongs to: null values
  // and block collections start on a later line than their key, but an error
  // about them should point at the key.
  Node convert(const YAML::Node& yaml, const YAML::Mark* key_mark, int depth) {
    if (depth > kMaxDepth) fail_at_mark(yaml.Mark(), file_, "YAML nesting is too deep (a recursive alias?)");
    SourceLocation location = location_of(key_mark && !yaml.IsScalar() ? *key_mark : yaml.Mark(), file_);
    switch (yaml.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Node::null(std::move(location));
      case YAML::NodeType::Scalar:
        return Node::scalar(yaml.Scalar(), std::move(location), is_quoted(yaml));
      case YAML::NodeType::Sequence: {
        Node node = Node::sequence(std::move(location));
        for (const auto& element : yaml) node.elements().push_back(convert(element, nullptr, depth + 1));
        return node;
      }
      case YAML::NodeType::Map: {
        Node node = Node::map(std::move(location));
        std::map<std::string, int> first_line;
        for (const auto& item : yaml) {
          const YAML::Node& key = item.first;
          if (!key.IsScalar()) fail_at_mark(key.Mark(), file_, "map keys must be plain strings");
          const std::string& name = key.Scalar();
          // yaml-cpp keeps both entries of a repeated key; YAML forbids it.
          auto [it, inserted] = first_line.emplace(name, key.Mark().line + 1);
          if (!inserted) {
            fail_at_mark(key.Mark(), file_,
                         fmt::format("duplicate key '{}' (first set at line {})", name, it->second));
          }
          YAML::Mark key_mark_here = key.Mark();
          node.items().emplace_back(name, convert(item.second, &key_mark_here, depth + 1));
        }
        return node;
      }
    }
    return Node::null(std::move(location));
  }

 private:
  bool is_quoted(const YAML::Node& yaml) const {
    // yaml-cpp tags a quoted or block (| >) scalar "!" and a plain one "?".
    const std::string& tag = yaml.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return true;
    // Core-schema tags (!!int, !!null, ...) agree with what the text reads as.
    if (tag == "?" || tag.empty() || tag.starts_with("tag:yaml.org,2002:")) return false;
    fail_at_mark(yaml.Mark(), file_, fmt::format("YAML tag '{}' is not supported (configs hold plain data)", tag));
  }

  const std::string& file_;
};

}  // namespace

Node parse_yaml(const std::string& text, const std::string& file) {
  YAML::Node document;
  try {
    document = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_at_mark(e.mark, file, "YAML syntax error: " + e.msg);
  }
  Node root = Converter(file).convert(document, nullptr, 0);
  root.set_path("");
  return root;
}

}  // namespace mini::config
