// `_base_` inheritance and deep merge (MMEngine semantics): bases merge left
// to right, then the including file on top; maps merge key by key, anything
// else replaces; `_delete_: true` makes a map replace instead of merge.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/load.h"

namespace mini::config {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kBaseKey = "_base_";
constexpr std::string_view kDeleteKey = "_delete_";

bool replaces_inherited(const Node& overlay) {
  const Node* flag = overlay.is_map() ? overlay.find(kDeleteKey) : nullptr;
  if (flag == nullptr) return false;
  if (!flag->is_bool()) flag->fail("expected true or false, got " + flag->describe());
  return flag->as_bool();
}

// A copy of `node` with every `_delete_` key removed: it has nothing left to
// replace once it is in the merged tree.
Node without_delete_keys(const Node& node) {
  Node copy = node;
  copy.erase(kDeleteKey);
  for (auto& [key, value] : copy.items()) value = without_delete_keys(value);
  for (auto& element : copy.elements()) element = without_delete_keys(element);
  return copy;
}

void set_included_by(Node& node, const std::vector<std::string>& chain) {
  SourceLocation location = node.location();
  location.included_by = chain;
  node.set_location(std::move(location));
  for (auto& [key, value] : node.items()) set_included_by(value, chain);
  for (auto& element : node.elements()) set_included_by(element, chain);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("cannot open config file '{}'", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class BaseLoader {
 public:
  // `shown` is the path as messages print it (relative like the user wrote it);
  // `included_by` the files that pulled it in, nearest first.
  Node load(const std::string& shown, const std::vector<std::string>& included_by) {
    stack_.push_back({fs::weakly_canonical(shown), shown});
    Node document = parse_yaml(read_text(shown), shown);
    set_included_by(document, included_by);
    if (document.is_null()) document = Node::map(document.location());
    if (!document.is_map()) {
      document.fail("the top level of a config file must be a map, got " + document.describe());
    }

    Node merged = Node::map(document.location());
    if (const Node* bases = document.find(kBaseKey)) {
      std::vector<std::string> chain = included_by;
      chain.insert(chain.begin(), shown);
      for (const Node* entry : base_entries(*bases)) {
        merge_into(merged, load(resolve(*entry, shown), chain));
      }
      document.erase(kBaseKey);
    }
    merge_into(merged, document);
    stack_.pop_back();
    return merged;
  }

 private:
  struct OpenFile {
    fs::path canonical;
    std::string shown;
  };

  static std::vector<const Node*> base_entries(const Node& bases) {
    std::vector<const Node*> entries;
    if (bases.is_scalar()) {
      entries.push_back(&bases);
    } else if (bases.is_sequence()) {
      for (const auto& element : bases.elements()) {
        if (!element.is_scalar()) element.fail("expected a file path, got " + element.describe());
        entries.push_back(&element);
      }
    } else {
      bases.fail("expected a file path or a list of them, got " + bases.describe());
    }
    return entries;
  }

  // The base file's path relative to the including file's folder, checked to
  // exist and not to close a cycle.
  std::string resolve(const Node& entry, const std::string& including_file) const {
    const std::string& written = entry.as_string();
    fs::path path = (fs::path(including_file).parent_path() / written).lexically_normal();
    auto fail = [&](const std::string& message) {
      throw ConfigError(entry.location().str() + ": " + message + entry.location().chain());
    };
    std::error_code error;
    if (!fs::is_regular_file(path, error)) {
      // Named as `_base_` even for a list element: that is the key the user wrote.
      fail(fmt::format("_base_: file '{}' not found (resolved to {})", written,
                       fs::absolute(path, error).lexically_normal().string()));
    }
    fs::path canonical = fs::weakly_canonical(path);
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i].canonical != canonical) continue;
      std::string cycle;
      for (size_t j = i; j < stack_.size(); ++j) cycle += stack_[j].shown + " -> ";
      fail("_base_ cycle: " + cycle + stack_[i].shown);
    }
    return path.string();
  }

  std::vector<OpenFile> stack_;
};

}  // namespace

void merge_into(Node& base, const Node& overlay) {
  if (!base.is_map() || !overlay.is_map() || replaces_inherited(overlay)) {
    std::string path = base.path();
    base = without_delete_keys(overlay);
    base.set_path(std::move(path));
    return;
  }
  // The most derived file wrote this map last; errors about it point there.
  base.set_location(overlay.location());
  for (const auto& [key, value] : overlay.items()) {
    if (key == kDeleteKey) continue;
    if (Node* existing = base.find(key)) {
      merge_into(*existing, value);
    } else {
      base.set(key, without_delete_keys(value));
    }
  }
}

Node load_file(const std::string& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    throw ConfigError(fmt::format("config file '{}' not found (resolved to {})", path,
                                  fs::absolute(path, error).lexically_normal().string()));
  }
  Node root = BaseLoader().load(path, {});
  root.set_path("");
  return root;
}

}  // namespace mini::config
