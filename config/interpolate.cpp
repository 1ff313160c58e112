// `${a.b}` and `${env:NAME,default}` interpolation, resolved against the whole
// tree after overrides. A whole-scalar reference copies the referenced node
// (so `${model.num_classes}` stays an int and `${train_dataloader}` a map);
// inside a longer string it is substituted as text.
//
// NOTE [resolution order]: references may point at values that are
// themselves interpolated (`a: ${b}`, `b: ${c.x}`), so each reference first
// resolves its target, depth first. `active_` holds the nodes being resolved;
// meeting one again is a cycle. Nodes are resolved in place (a scalar is
// replaced by its value, never moved), so node addresses stay valid as keys.
#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <unordered_set>

#include "config/load.h"
#include "config/registry.h"

namespace mini::config {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool has_interpolation(const Node& node) {
  return node.is_scalar() && node.text().find("${") != std::string::npos;
}

// "${a.b}" alone, as opposed to "x_${a.b}" or "${a}${b}".
bool is_whole_reference(const std::string& text) {
  return text.starts_with("${") && text.find('}') == text.size() - 1;
}

std::string shown_path(const std::string& path) { return path.empty() ? "<root>" : path; }

class Resolver {
 public:
  explicit Resolver(Node& root) : root_(root) {}

  void resolve(Node& node, const Node* referrer) {
    if (done_.contains(&node)) return;
    for (size_t i = 0; i < active_.size(); ++i) {
      if (active_[i] != &node) continue;
      std::string cycle;
      for (size_t j = i; j < active_.size(); ++j) cycle += shown_path(active_[j]->path()) + " -> ";
      // `referrer` is set whenever a reference is followed, the only way back into an active node.
      (referrer ? *referrer : node).fail("interpolation cycle: " + cycle + shown_path(node.path()));
    }
    active_.push_back(&node);
    if (has_interpolation(node)) {
      resolve_scalar(node);
    } else {
      for (auto& [key, value] : node.items()) resolve(value, nullptr);
      for (auto& element : node.elements()) resolve(element, nullptr);
    }
    active_.pop_back();
    done_.insert(&node);
  }

 private:
  void resolve_scalar(Node& holder) {
    const std::string text = holder.text();
    if (is_whole_reference(text)) {
      std::string_view reference = trim(std::string_view(text).substr(2, text.size() - 3));
      Node value;
      if (reference.starts_with("env:")) {
        // Quoting the reference ("${env:USER}") keeps the value a string;
        // unquoted it reads by YAML rules, like a value written in the file.
        value = Node::scalar(env_value(holder, reference), holder.location(), holder.quoted());
      } else {
        value = *lookup(holder, reference);
        value.set_location(holder.location());
      }
      std::string path = holder.path();
      holder = std::move(value);
      holder.set_path(std::move(path));
      mark_done(holder);  // a copied value is resolved already; a literal "${" in it must stay
      return;
    }
    std::string result;
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, 3, "$${") == 0) {
        result += "${";
        i += 3;
      } else if (text.compare(i, 2, "${") == 0) {
        size_t close = text.find('}', i + 2);
        if (close == std::string::npos) holder.fail(fmt::format("unterminated '${{' in '{}'", text));
        result += text_of(holder, trim(std::string_view(text).substr(i + 2, close - i - 2)));
        i = close + 1;
      } else {
        result += text[i++];
      }
    }
    holder.set_scalar(std::move(result), /*quoted=*/true);
  }

  std::string text_of(const Node& holder, std::string_view reference) {
    if (reference.starts_with("env:")) return env_value(holder, reference);
    const Node& value = *lookup(holder, reference);
    if (value.is_null()) return "null";
    if (!value.is_scalar()) {
      holder.fail(fmt::format("'${{{}}}' is {} and cannot be part of a string; write it alone "
                              "as the whole value to copy it",
                              reference, value.describe()));
    }
    return value.text();
  }

  static std::string env_value(const Node& holder, std::string_view reference) {
    std::string_view spec = reference.substr(4);
    size_t comma = spec.find(',');
    std::string name(trim(spec.substr(0, comma)));
    if (name.empty()) holder.fail(fmt::format("'${{{}}}' names no environment variable", reference));
    if (const char* value = std::getenv(name.c_str())) return value;
    if (comma != std::string_view::npos) return std::string(trim(spec.substr(comma + 1)));
    holder.fail(fmt::format("environment variable '{}' is not set (write '${{env:{},default}}' to "
                            "give a default)",
                            name, name));
  }

  // The node a dotted reference names, resolved (so a copy of it is final).
  Node* lookup(const Node& holder, std::string_view reference) {
    if (reference.empty()) holder.fail("empty interpolation '${}'");
    Node* current = &root_;
    std::string walked;
    for (size_t start = 0;;) {
      size_t dot = reference.find('.', start);
      std::string_view segment = reference.substr(start, dot == std::string_view::npos ? dot : dot - start);
      auto fail = [&](const std::string& message) {
        holder.fail(fmt::format("'${{{}}}': {}", reference, message));
      };
      if (segment.empty()) fail("empty key segment");
      // An intermediate that is itself a reference (`a: ${b}`, then `${a.x}`) resolves first.
      if (has_interpolation(*current)) resolve(*current, &holder);
      Node* next = nullptr;
      if (current->is_map()) {
        next = current->find(segment);
        if (next == nullptr) {
          std::string missing = walked.empty() ? std::string(segment) : walked + "." + std::string(segment);
          fail(fmt::format("key '{}' not found{}", missing, did_you_mean(segment, current->keys())));
        }
      } else if (current->is_sequence()) {
        size_t index = 0;
        auto [end, error] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
        if (error != std::errc() || end != segment.data() + segment.size() || index >= current->size()) {
          fail(fmt::format("'{}' is not an index into the list '{}' ({} elements)", segment,
                           shown_path(walked), current->size()));
        }
        next = &current->elements()[index];
      } else {
        fail(fmt::format("'{}' is {}, which has no key '{}'", shown_path(walked), current->describe(), segment));
      }
      walked = walked.empty() ? std::string(segment) : walked + "." + std::string(segment);
      current = next;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    resolve(*current, &holder);
    return current;
  }

  void mark_done(const Node& node) {
    done_.insert(&node);
    for (const auto& [key, value] : node.items()) mark_done(value);
    for (const auto& element : node.elements()) mark_done(element);
  }

  Node& root_;
  std::unordered_set<const Node*> done_;
  std::vector<const Node*> active_;
};

}  // namespace

void resolve_interpolations(Node& root) {
  root.set_path("");
  Resolver(root).resolve(root, nullptr);
}

}  // namespace mini::config
