// Argument specs, Args (what a builder reads) and the global list of registries.
#include "config/registry.h"

#include <fmt/format.h>

#include <mutex>

namespace mini::config {

std::string arg_type_name(ArgType type, const std::string& component_kind) {
  switch (type) {
    case ArgType::Any: return "any";
    case ArgType::Bool: return "bool";
    case ArgType::Int: return "int";
    case ArgType::Float: return "float";
    case ArgType::String: return "string";
    case ArgType::IntList: return "list[int]";
    case ArgType::FloatList: return "list[float]";
    case ArgType::StringList: return "list[string]";
    case ArgType::List: return "list";
    case ArgType::Map: return "map";
    case ArgType::Component: return component_kind.empty() ? "component" : component_kind;
    case ArgType::ComponentList:
      return "list[" + (component_kind.empty() ? std::string("component") : component_kind) + "]";
  }
  return "any";
}

ArgSpec required(std::string name, ArgType type, std::string doc) {
  ArgSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.doc = std::move(doc);
  return spec;
}

ArgSpec optional(std::string name, ArgType type, Node default_value, std::string doc) {
  ArgSpec spec = required(std::move(name), type, std::move(doc));
  // A null default says "none" is a valid value.
  spec.nullable = default_value.is_null();
  spec.default_value = std::move(default_value);
  return spec;
}

ArgSpec component(std::string name, std::string kind, std::string doc, bool is_required) {
  ArgSpec spec = is_required ? required(std::move(name), ArgType::Component, std::move(doc))
                             : optional(std::move(name), ArgType::Component, Node(), std::move(doc));
  spec.component_kind = std::move(kind);
  return spec;
}

ArgSpec component_list(std::string name, std::string kind, std::string doc) {
  ArgSpec spec = optional(std::move(name), ArgType::ComponentList, Node::sequence(), std::move(doc));
  spec.component_kind = std::move(kind);
  return spec;
}

const ArgSpec* ComponentInfo::find_arg(std::string_view name) const {
  for (const auto& spec : args) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// ---- Args ------------------------------------------------------------------

namespace {

void mark_as_default(Node& node) {
  SourceLocation location;
  location.origin = "default";
  node.set_location(location);
  for (auto& [key, value] : node.items()) mark_as_default(value);
  for (auto& element : node.elements()) mark_as_default(element);
}

}  // namespace

Args::Args(const Node& config, const ComponentInfo& info) : config_(&config), info_(&info) {
  for (const auto& spec : info.args) {
    if (!spec.default_value || config.contains(spec.name)) continue;
    Node value = *spec.default_value;
    mark_as_default(value);
    value.set_path(config.path().empty() ? spec.name : config.path() + "." + spec.name);
    defaults_.emplace(spec.name, std::move(value));
  }
}

bool Args::has(std::string_view name) const { return config_->contains(name); }

bool Args::is_null(std::string_view name) const { return node(name).is_null(); }

const Node& Args::node(std::string_view name) const {
  if (const Node* value = config_->find(name)) return *value;
  if (auto it = defaults_.find(name); it != defaults_.end()) return it->second;
  if (info_->find_arg(name)) {
    config_->fail(fmt::format("missing required argument '{}' for {}", name, type()));
  }
  throw InternalError(fmt::format("the builder of {} reads argument '{}', which it does not declare",
                                  type(), name));
}

bool Args::get_bool(std::string_view name) const { return node(name).as_bool(); }
int64_t Args::get_int(std::string_view name) const { return node(name).as_int(); }
double Args::get_double(std::string_view name) const { return node(name).as_double(); }
std::string Args::get_string(std::string_view name) const { return node(name).as_string(); }

namespace {

const std::vector<Node>& list_elements(const Node& node, const char* what) {
  if (!node.is_sequence()) node.fail(fmt::format("expected a list of {}, got {}", what, node.describe()));
  return node.elements();
}

}  // namespace

std::vector<int64_t> Args::get_int_list(std::string_view name) const {
  std::vector<int64_t> values;
  for (const auto& element : list_elements(node(name), "ints")) values.push_back(element.as_int());
  return values;
}

std::vector<double> Args::get_double_list(std::string_view name) const {
  std::vector<double> values;
  for (const auto& element : list_elements(node(name), "numbers")) values.push_back(element.as_double());
  return values;
}

std::vector<std::string> Args::get_string_list(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& element : list_elements(node(name), "strings")) values.push_back(element.as_string());
  return values;
}

void Args::fail(std::string_view name, const std::string& message) const {
  if (const Node* value = config_->find(name)) value->fail(message);
  config_->fail(fmt::format("argument '{}': {}", name, message));
}

// ---- registries ------------------------------------------------------------

namespace {

struct RegistryList {
  std::mutex mutex;
  std::vector<RegistryBase*> registries;
};

RegistryList& registry_list() {
  static RegistryList list;
  return list;
}

}  // namespace

RegistryBase::RegistryBase(std::string kind) : kind_(std::move(kind)) {
  auto& list = registry_list();
  std::lock_guard lock(list.mutex);
  list.registries.push_back(this);
}

RegistryBase::~RegistryBase() {
  auto& list = registry_list();
  std::lock_guard lock(list.mutex);
  std::erase(list.registries, this);
}

std::vector<RegistryBase*> all_registries() {
  auto& list = registry_list();
  std::lock_guard lock(list.mutex);
  return list.registries;
}

RegistryBase* find_registry(std::string_view kind) {
  auto& list = registry_list();
  std::lock_guard lock(list.mutex);
  // The newest registry of a kind wins, so a test can shadow a global one.
  for (auto it = list.registries.rbegin(); it != list.registries.rend(); ++it) {
    if ((*it)->kind() == kind) return *it;
  }
  return nullptr;
}

void RegistryBase::add_info(ComponentInfo info) {
  std::string type = info.type;
  components_.insert_or_assign(std::move(type), std::move(info));
}

const ComponentInfo* RegistryBase::find(std::string_view type) const {
  auto it = components_.find(type);
  return it == components_.end() ? nullptr : &it->second;
}

std::vector<const ComponentInfo*> RegistryBase::components() const {
  std::vector<const ComponentInfo*> infos;
  for (const auto& [type, info] : components_) infos.push_back(&info);
  return infos;
}

const Node& RegistryBase::type_node(const Node& config) {
  if (!config.is_map()) {
    config.fail("expected a component (a map with 'type: ...'), got " + config.describe());
  }
  const Node* type = config.find("type");
  const Node* target = config.find("_target_");
  if (type && target) config.fail("give either 'type' or '_target_', not both");
  if (!type) type = target;
  if (!type) config.fail("missing 'type' (the name of the component to build)");
  if (!type->is_scalar()) type->fail("expected a type name, got " + type->describe());
  return *type;
}

const ComponentInfo& RegistryBase::info_for(const Node& config) const {
  const Node& type = type_node(config);
  if (const ComponentInfo* info = find(type.text())) return *info;
  std::vector<std::string> names;
  for (const auto& [name, info] : components_) names.push_back(name);
  std::string hint = did_you_mean(type.text(), names);
  if (hint.empty()) {
    hint = names.empty() ? " (none are registered)" : fmt::format(" (known: {})", fmt::join(names, ", "));
  }
  type.fail(fmt::format("unknown {} type '{}'{}", kind_, type.text(), hint));
}

}  // namespace mini::config
