#pragma once
// Registries build components from config maps keyed by `type:` (`_target_:`
// is accepted as an alias). Every registered component declares its arguments
// (name, type, default, one-line doc), so a whole config can be validated
// before anything is built, and `mini-engine list` can print them.
//
//   Registry<std::shared_ptr<Dataset>> datasets("dataset");
//   datasets.add({.type = "SyntheticClassification",
//                 .doc = "Gaussian blobs, one per class",
//                 .args = {required("num_samples", ArgType::Int, "how many samples"),
//                          optional("seed", ArgType::Int, Node::from(0), "data seed")}},
//                [](const Args& args) { return make_synthetic(args.get_int("num_samples"), ...); });
//   auto dataset = datasets.build(cfg.at("train_dataloader").at("dataset"));
//
// Registries name a "kind" ("model", "dataset", "optimizer", ...) and register
// themselves globally on construction, so a Component argument can say which
// kind it holds and validation recurses into it. Registration is explicit (a
// function the runtime calls once), never by static initialisers: those are
// dropped when the library is linked statically.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/node.h"

namespace mini::config {

enum class ArgType {
  Any,            // not checked
  Bool,
  Int,
  Float,          // an int is accepted
  String,
  IntList,
  FloatList,      // ints accepted
  StringList,
  List,           // any list
  Map,            // any map
  Component,      // a map with `type:` of registry `component_kind`
  ComponentList,  // a list of those
};
// "bool", "int", "float", "string", "list[int]", ..., "dataset", "list[hook]".
std::string arg_type_name(ArgType type, const std::string& component_kind = "");

struct ArgSpec {
  std::string name;
  ArgType type = ArgType::Any;
  std::optional<Node> default_value;  // nullopt: required
  std::string doc;
  std::string component_kind;         // for Component / ComponentList
  std::vector<std::string> choices;   // for String: the allowed values (empty: any)
  bool nullable = false;              // null is accepted (and means "none")
};
ArgSpec required(std::string name, ArgType type, std::string doc);
ArgSpec optional(std::string name, ArgType type, Node default_value, std::string doc);
// A nested component; an optional one defaults to null.
ArgSpec component(std::string name, std::string kind, std::string doc, bool is_required = true);
ArgSpec component_list(std::string name, std::string kind, std::string doc);

struct ComponentInfo {
  std::string type;
  std::string doc;
  std::vector<ArgSpec> args;
  // Keys not in `args` are passed through instead of rejected (for wrappers
  // that forward their config); validation then skips them.
  bool allow_extra_args = false;
  const ArgSpec* find_arg(std::string_view name) const;
};

// The arguments of one component being built: values from the config, or the
// declared defaults. Type checks already happened in validation, so getters
// only convert. Any failure names the config location.
class Args {
 public:
  Args(const Node& config, const ComponentInfo& info);
  const std::string& type() const { return info_->type; }
  const Node& config() const { return *config_; }
  const ComponentInfo& info() const { return *info_; }

  // Set in the config (not defaulted)?
  bool has(std::string_view name) const;
  // Null (given as null, or defaulting to null)?
  bool is_null(std::string_view name) const;
  // The value node: the config's, or the default (located as "default").
  const Node& node(std::string_view name) const;

  bool get_bool(std::string_view name) const;
  int64_t get_int(std::string_view name) const;
  double get_double(std::string_view name) const;
  std::string get_string(std::string_view name) const;
  std::vector<int64_t> get_int_list(std::string_view name) const;
  std::vector<double> get_double_list(std::string_view name) const;
  std::vector<std::string> get_string_list(std::string_view name) const;

  // Throws ConfigError at the argument's node (or the component's, if defaulted).
  [[noreturn]] void fail(std::string_view name, const std::string& message) const;

 private:
  const Node* config_;
  const ComponentInfo* info_;
  std::map<std::string, Node, std::less<>> defaults_;
};

class RegistryBase {
 public:
  explicit RegistryBase(std::string kind);
  virtual ~RegistryBase();
  RegistryBase(const RegistryBase&) = delete;
  RegistryBase& operator=(const RegistryBase&) = delete;

  const std::string& kind() const { return kind_; }
  bool contains(std::string_view type) const { return find(type) != nullptr; }
  const ComponentInfo* find(std::string_view type) const;
  // Sorted by type name.
  std::vector<const ComponentInfo*> components() const;

  // The `type:` (or `_target_:`) of a component map; errors if missing.
  static const Node& type_node(const Node& config);
  // The info for config's type; an unknown type is an error with the closest
  // registered name ("unknown dataset type 'MNSIT'; did you mean 'MNIST'?").
  const ComponentInfo& info_for(const Node& config) const;
  // Checks config (recursively through Component arguments): known type,
  // no unknown keys (with did-you-mean), every required key present, every
  // value of the declared type / one of the choices.
  void validate(const Node& config) const;

 protected:
  void add_info(ComponentInfo info);

 private:
  std::string kind_;
  std::map<std::string, ComponentInfo, std::less<>> components_;
};

// Every registry constructed so far, by kind.
std::vector<RegistryBase*> all_registries();
RegistryBase* find_registry(std::string_view kind);

// Validates a value against one argument spec (used by validate(); also by
// code that checks top-level config sections against specs).
void validate_arg(const ArgSpec& spec, const Node& value, const std::string& component_type);

template <typename Product, typename... Context>
class Registry : public RegistryBase {
 public:
  using Builder = std::function<Product(const Args&, Context...)>;
  using RegistryBase::RegistryBase;

  // A second registration of the same type replaces the first (lets users
  // override built-ins from C++).
  void add(ComponentInfo info, Builder builder) {
    std::string type = info.type;
    add_info(std::move(info));
    builders_[type] = std::move(builder);
  }
  // Validates, then builds.
  Product build(const Node& config, Context... context) const {
    validate(config);
    const ComponentInfo& info = info_for(config);
    Args args(config, info);
    return builders_.at(info.type)(args, std::forward<Context>(context)...);
  }

 private:
  std::map<std::string, Builder, std::less<>> builders_;
};

// Levenshtein-closest candidate within a distance proportional to the word's
// length, or "" when nothing is close.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// "; did you mean 'lr'?" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace mini::config
