#pragma once
// nn::Module: the base of every layer and model. A module owns, in
// registration order, named parameters (tensors the optimizer trains),
// buffers (state such as BatchNorm's running mean) and submodules; the
// recursive walks give dotted names (`encoder.layers.0.attn.q_proj.weight`)
// that state_dict(), optimizers and name-based selection use.
//
//   class Mlp : public nn::Module {
//    public:
//     Mlp() : Module("Mlp") {
//       fc1 = register_module("fc1", std::make_shared<nn::Linear>(2, 8));
//       fc2 = register_module("fc2", std::make_shared<nn::Linear>(8, 1));
//     }
//     Tensor forward(const Tensor& x) override { return (*fc2)(mini::relu((*fc1)(x))); }
//     std::shared_ptr<nn::Linear> fc1, fc2;
//   };
//
// Modules are held by std::shared_ptr (make_shared): named_modules() hands
// out shared_ptrs to the module itself.
//
// NOTE [parameter identity]: a layer keeps Tensor handles to its parameters
// (`weight_`) and the module keeps the same handles by name. Operations that
// change a parameter (to(), load_state_dict(), init) modify the shared
// TensorImpl in place instead of replacing the handle, so the layer, the
// module and any optimizer holding the parameter keep seeing one tensor.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace mini::nn {

// Name -> tensor in insertion order, with lookup by name.
class StateDict {
 public:
  using Item = std::pair<std::string, Tensor>;

  // Throws mini::ValueError on a duplicate name.
  void insert(std::string name, Tensor tensor);
  const Tensor* find(std::string_view name) const;
  // Throws mini::ValueError naming the missing key.
  const Tensor& at(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const std::vector<Item>& items() const { return items_; }
  std::vector<Item>::const_iterator begin() const { return items_.begin(); }
  std::vector<Item>::const_iterator end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
  std::unordered_map<std::string, size_t> index_;
};

// What a non-strict load_state_dict() skipped.
struct LoadStateResult {
  std::vector<std::string> missing_keys;     // in the module, not in the state
  std::vector<std::string> unexpected_keys;  // in the state, not in the module
};

class Module;
using ModulePtr = std::shared_ptr<Module>;
// A pre hook may return a replacement input; a post hook a replacement output.
using ForwardPreHook = std::function<std::optional<Tensor>(Module& module, const Tensor& input)>;
using ForwardHook = std::function<std::optional<Tensor>(Module& module, const Tensor& input, const Tensor& output)>;

class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The computation. The base version throws: containers and layers override it.
  virtual Tensor forward(const Tensor& input);
  // Runs the pre hooks, forward() and the post hooks. Call modules this way.
  Tensor operator()(const Tensor& input);

  // A forward wrapper changes how this module's computation runs without
  // changing the module: activation checkpointing wraps matching submodules
  // with mini::checkpoint this way. It receives the plain computation and the input.
  using ForwardFunction = std::function<Tensor(const Tensor&)>;
  using ForwardWrapper = std::function<Tensor(const ForwardFunction& forward, const Tensor& input)>;
  void set_forward_wrapper(ForwardWrapper wrapper) { forward_wrapper_ = std::move(wrapper); }
  bool has_forward_wrapper() const { return static_cast<bool>(forward_wrapper_); }
  // The current wrapper (empty if none), so a new wrapper can chain the old one.
  const ForwardWrapper& forward_wrapper() const { return forward_wrapper_; }
  // Runs `forward` (this module's computation, e.g. a forward() overload with
  // extra arguments such as masks) through the wrapper, if one is set.
  // operator() goes through here; so should callers that bypass operator().
  Tensor run_forward(const ForwardFunction& forward, const Tensor& input);

  // "Linear", "Sequential", ... (the class name, for summaries and errors).
  const std::string& type_name() const { return type_name_; }
  // The text inside the parentheses of summary(): "in_features=4, out_features=2, bias=true".
  virtual std::string extra_repr() const { return ""; }

  // ---- registration (names must be unique per module and contain no '.') ----
  // Marks `tensor` as requiring grad (floating dtypes) and returns the same handle.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  // Non-persistent buffers are moved by to() but left out of state_dict().
  Tensor register_buffer(const std::string& name, Tensor tensor, bool persistent = true);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_module(name, module);
    return module;
  }
  // Unregisters the child `name` and returns it (attachments such as LoRA
  // adapters come off this way); throws mini::ValueError if there is none.
  ModulePtr remove_module(const std::string& name);

  // ---- walks (registration order, depth first, dotted names) ----
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<ModulePtr> children() const;
  const std::vector<std::pair<std::string, ModulePtr>>& named_children() const { return children_; }
  // This module first (named ""), then every descendant.
  std::vector<std::pair<std::string, ModulePtr>> named_modules();
  // The descendant at a dotted path ("" is this module); throws mini::ValueError if absent.
  ModulePtr get_submodule(std::string_view path);
  // Total number of parameter elements.
  int64_t num_parameters(bool recurse = true) const;

  // ---- mode and placement (recursive) ----
  Module& train(bool on = true);
  Module& eval() { return train(false); }
  bool is_training() const { return training_; }
  // Floating parameters and buffers only, as PyTorch (integer buffers keep their dtype).
  Module& to(DType dtype);
  Module& to(Device device);
  // Resets (set_to_none) or zero-fills every parameter's .grad.
  void zero_grad(bool set_to_none = true);
  // Freezes (false) or unfreezes every parameter.
  Module& requires_grad_(bool requires_grad = true);

  // ---- state ----
  // Parameters then buffers of each module, in walk order. The tensors are
  // detached views of the module's (no copy).
  StateDict state_dict() const;
  // Copies values into the existing tensors (casting dtype, moving devices).
  // A shape mismatch is always an error; with `strict`, missing and unexpected
  // keys are too. The error lists every bad key.
  LoadStateResult load_state_dict(const StateDict& state, bool strict = true);

  // The layer tree with parameter counts.
  std::string summary() const;

  // ---- hooks (run by operator(), in registration order) ----
  uint64_t register_forward_pre_hook(ForwardPreHook hook);
  uint64_t register_forward_hook(ForwardHook hook);
  // Removes a hook by the id its registration returned; false if none had it.
  bool remove_hook(uint64_t id);

 protected:
  void add_module(const std::string& name, ModulePtr module);

 private:
  struct NamedTensor {
    std::string name;
    Tensor tensor;
    bool persistent = true;
  };
  void check_new_name(const std::string& name, const char* kind) const;
  void collect_modules(const std::string& prefix, std::vector<std::pair<std::string, ModulePtr>>& out);
  void collect_tensors(const std::string& prefix, bool parameters, bool recurse, bool persistent_only,
                       std::vector<std::pair<std::string, Tensor>>& out) const;
  void summary_lines(const std::string& name, int depth, std::string& out) const;
  // Applies `convert` to every parameter and buffer (and grad), keeping handles (NOTE [parameter identity]).
  void convert_tensors(const std::function<Tensor(const Tensor&)>& convert);

  std::string type_name_;
  bool training_ = true;
  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, ModulePtr>> children_;
  std::vector<std::pair<uint64_t, ForwardPreHook>> pre_hooks_;
  std::vector<std::pair<uint64_t, ForwardHook>> post_hooks_;
  ForwardWrapper forward_wrapper_;
};

// Makes `target` (its storage, geometry and dtype) refer to `source`'s data,
// keeping target's handle and autograd identity (NOTE [parameter identity]).
void replace_data(const Tensor& target, const Tensor& source);

}  // namespace mini::nn
