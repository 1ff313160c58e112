#pragma once
// From YAML files and command-line overrides to one resolved config tree
// (ARCHITECTURE.md section 5):
//
//   load_file -> (_base_ resolved, deep merge, _delete_) -> apply_overrides
//             -> resolve_interpolations (after overrides, so an override of
//                `a.b` reaches every `${a.b}`) -> validate (registry.h) -> build
//
// All errors are ConfigError naming file:line, the key path and the `_base_` chain.
#include <string>
#include <vector>

#include "config/node.h"

namespace mini::config {

// Parses one YAML document (no `_base_` handling). `file` names the source in
// locations. A YAML syntax error names file:line:column.
Node parse_yaml(const std::string& text, const std::string& file = "<string>");

// Loads `path` and resolves `_base_` recursively: `_base_` is a string or a
// list of paths relative to the including file; bases merge left to right,
// then the file itself merges on top. A map with `_delete_: true` replaces the
// inherited map instead of merging. A missing base names the file that asked
// for it; a cycle lists the files around it.
Node load_file(const std::string& path);

// Deep merge of `overlay` onto `base` (maps merge key by key; anything else,
// lists included, replaces). Honors `_delete_`.
void merge_into(Node& base, const Node& overlay);

// "a.b.c=value": the value is parsed as YAML (so `lr=1e-3` is a float,
// `milestones=[3,6]` a list, `name='001'` a string); numeric segments index
// lists (`custom_hooks.0.patience=5`); `key=null` sets null (which removes a
// default hook). Missing intermediate maps are created. Indexing past a list's
// end, or into a scalar, is an error naming the override.
void apply_override(Node& root, const std::string& assignment);
void apply_overrides(Node& root, const std::vector<std::string>& assignments);

// Replaces `${a.b.c}` (a whole scalar becomes a copy of the referenced node,
// keeping its type; inside a longer string it is substituted as text) and
// `${env:NAME}` / `${env:NAME,default}`. References resolve against the root
// after overrides. A missing key or a cycle (`a: ${b}`, `b: ${a}`) is an error
// naming every key on the cycle. `$${` escapes a literal `${`.
void resolve_interpolations(Node& root);

// The whole pipeline: load_file + apply_overrides + resolve_interpolations.
Node load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// YAML text of a tree. With `with_sources`, each scalar line ends with
// "  # file:line" (or "# command line").
std::string to_yaml(const Node& node, bool with_sources = false);

}  // namespace mini::config
