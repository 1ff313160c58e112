// Config validation against the declared arguments of registered components,
// so a typo deep in a config fails before anything is built, at its own line.
#include <fmt/format.h>

#include <algorithm>

#include "config/registry.h"

namespace mini::config {
namespace {

void validate_component(const std::string& kind, const Node& value) {
  if (const RegistryBase* registry = find_registry(kind)) {
    registry->validate(value);
  } else {
    // No registry of that kind (yet): the shape is all that can be checked.
    RegistryBase::type_node(value);
  }
}

bool element_matches(ArgType list_type, const Node& element) {
  switch (list_type) {
    case ArgType::IntList: return element.is_int();
    case ArgType::FloatList: return element.is_number();
    case ArgType::StringList: return element.is_scalar();
    default: return true;
  }
}

}  // namespace

void validate_arg(const ArgSpec& spec, const Node& value, const std::string& component_type) {
  const std::string expected = arg_type_name(spec.type, spec.component_kind);
  auto fail_type = [&](const Node& at) {
    at.fail(fmt::format("{} argument '{}' expects {}, got {}", component_type, spec.name, expected,
                        at.describe()));
  };
  if (value.is_null()) {
    if (spec.nullable || spec.type == ArgType::Any) return;
    fail_type(value);
  }
  switch (spec.type) {
    case ArgType::Any:
      return;
    case ArgType::Bool:
      if (!value.is_bool()) fail_type(value);
      return;
    case ArgType::Int:
      if (!value.is_int()) fail_type(value);
      return;
    case ArgType::Float:
      if (!value.is_number()) fail_type(value);
      return;
    case ArgType::String:
      // Any scalar: a string argument takes the text as written (`name: 001` keeps its zeros).
      if (!value.is_scalar()) fail_type(value);
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), value.text()) == spec.choices.end()) {
        value.fail(fmt::format("{} argument '{}' must be one of '{}', got '{}'{}", component_type, spec.name,
                               fmt::join(spec.choices, "', '"), value.text(),
                               did_you_mean(value.text(), spec.choices)));
      }
      return;
    case ArgType::IntList:
    case ArgType::FloatList:
    case ArgType::StringList:
      if (!value.is_sequence()) fail_type(value);
      for (const auto& element : value.elements()) {
        if (!element_matches(spec.type, element)) fail_type(element);
      }
      return;
    case ArgType::List:
      if (!value.is_sequence()) fail_type(value);
      return;
    case ArgType::Map:
      if (!value.is_map()) fail_type(value);
      return;
    case ArgType::Component:
      validate_component(spec.component_kind, value);
      return;
    case ArgType::ComponentList:
      if (!value.is_sequence()) fail_type(value);
      for (const auto& element : value.elements()) validate_component(spec.component_kind, element);
      return;
  }
}

void RegistryBase::validate(const Node& config) const {
  const ComponentInfo& info = info_for(config);
  std::vector<std::string> arg_names;
  for (const auto& spec : info.args) arg_names.push_back(spec.name);

  // Unknown keys first: a misspelled required argument then reads as the
  // typo it is ("did you mean 'lr'?") rather than as a missing 'lr'.
  for (const auto& [key, value] : config.items()) {
    if (key == "type" || key == "_target_") continue;
    if (const ArgSpec* spec = info.find_arg(key)) {
      validate_arg(*spec, value, info.type);
      continue;
    }
    if (info.allow_extra_args) continue;
    std::string hint = did_you_mean(key, arg_names);
    if (hint.empty()) {
      hint = arg_names.empty() ? fmt::format(" ({} takes no arguments)", info.type)
                               : fmt::format(" (arguments: {})", fmt::join(arg_names, ", "));
    }
    config.fail_at(value.location(), fmt::format("unknown argument '{}' for {}{}", key, info.type, hint));
  }
  for (const auto& spec : info.args) {
    if (!spec.default_value && !config.contains(spec.name)) {
      config.fail(fmt::format("missing required argument '{}' for {}", spec.name, info.type));
    }
  }
}

}  // namespace mini::config
