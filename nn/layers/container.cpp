#include "nn/layers/container.h"

#include <string>

#include "tensor/error.h"

namespace mini::nn {

namespace {

ModulePtr at_index(const Module& container, int64_t index) {
  const auto size = static_cast<int64_t>(container.named_children().size());
  const int64_t wrapped = index < 0 ? index + size : index;
  MINI_CHECK_INDEX(wrapped >= 0 && wrapped < size, "{}: index {} is out of range for {} modules", container.type_name(),
                   index, size);
  return container.named_children()[static_cast<size_t>(wrapped)].second;
}

}  // namespace

Sequential::Sequential(std::initializer_list<ModulePtr> modules) : Module("Sequential") {
  for (const ModulePtr& module : modules) push_back(module);
}

void Sequential::push_back(ModulePtr module) { add_module(std::to_string(size()), std::move(module)); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [name, module] : named_children()) y = (*module)(y);
  return y;
}

ModulePtr Sequential::operator[](int64_t index) const { return at_index(*this, index); }

ModuleList::ModuleList(std::initializer_list<ModulePtr> modules) : Module("ModuleList") {
  for (const ModulePtr& module : modules) push_back(module);
}

void ModuleList::push_back(ModulePtr module) { add_module(std::to_string(size()), std::move(module)); }

ModulePtr ModuleList::operator[](int64_t index) const { return at_index(*this, index); }

}  // namespace mini::nn
