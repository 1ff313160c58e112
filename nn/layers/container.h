#pragma once
// Containers: Sequential (runs its modules in order) and ModuleList (holds
// modules for a parent's forward). Children are named "0", "1", ... so
// parameters read `layers.3.weight`.
#include <initializer_list>
#include <vector>

#include "nn/module.h"

namespace mini::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<ModulePtr> modules);
  void push_back(ModulePtr module);
  // Each module's operator() (so hooks run) on the previous one's output.
  Tensor forward(const Tensor& x) override;
  // Negative indices count from the end; out of range throws mini::IndexError.
  ModulePtr operator[](int64_t index) const;
  int64_t size() const { return static_cast<int64_t>(named_children().size()); }
};

class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  ModuleList(std::initializer_list<ModulePtr> modules);
  void push_back(ModulePtr module);
  ModulePtr operator[](int64_t index) const;
  int64_t size() const { return static_cast<int64_t>(named_children().size()); }
};

}  // namespace mini::nn
