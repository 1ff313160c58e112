#include "nn/module.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "autograd/autograd.h"  // requires_grad_, grad, detach, NoGradGuard
#include "tensor/error.h"

namespace mini::nn {

// ---- StateDict -----------------------------------------------------------

void StateDict::insert(std::string name, Tensor tensor) {
  MINI_CHECK(!index_.contains(name), "StateDict: duplicate key '{}'", name);
  index_.emplace(name, items_.size());
  items_.emplace_back(std::move(name), std::move(tensor));
}

const Tensor* StateDict::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &items_[it->second].second;
}

const Tensor& StateDict::at(std::string_view name) const {
  const Tensor* tensor = find(name);
  MINI_CHECK(tensor != nullptr, "StateDict: no key '{}'", name);
  return *tensor;
}

// ---- helpers ---------------------------------------------------------------

void replace_data(const Tensor& target, const Tensor& source) {
  TensorImpl* impl = target.impl();
  impl->storage = source.storage();
  impl->offset = source.offset();
  impl->sizes = source.sizes();
  impl->strides = source.strides();
  impl->dtype = source.dtype();
}

namespace {

std::atomic<uint64_t> next_hook_id{1};

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

std::string shape_text(const Shape& sizes) { return fmt::format("({})", fmt::join(sizes, ", ")); }

// 1234567 -> "1,234,567"
std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

// ---- forward and hooks -------------------------------------------------------

Tensor Module::forward(const Tensor&) {
  MINI_CHECK(false, "{}: forward(const Tensor&) is not implemented for this module", type_name_);
  return Tensor();
}

Tensor Module::run_forward(const ForwardFunction& forward, const Tensor& input) {
  return forward_wrapper_ ? forward_wrapper_(forward, input) : forward(input);
}

Tensor Module::operator()(const Tensor& input) {
  if (pre_hooks_.empty() && post_hooks_.empty() && !forward_wrapper_) return forward(input);
  Tensor x = input;
  for (auto& [id, hook] : pre_hooks_) {
    if (std::optional<Tensor> replaced = hook(*this, x)) x = *replaced;
  }
  Tensor y = run_forward([this](const Tensor& in) { return forward(in); }, x);
  for (auto& [id, hook] : post_hooks_) {
    if (std::optional<Tensor> replaced = hook(*this, x, y)) y = *replaced;
  }
  return y;
}

uint64_t Module::register_forward_pre_hook(ForwardPreHook hook) {
  const uint64_t id = next_hook_id++;
  pre_hooks_.emplace_back(id, std::move(hook));
  return id;
}

uint64_t Module::register_forward_hook(ForwardHook hook) {
  const uint64_t id = next_hook_id++;
  post_hooks_.emplace_back(id, std::move(hook));
  return id;
}

bool Module::remove_hook(uint64_t id) {
  auto erase = [id](auto& hooks) {
    return std::erase_if(hooks, [id](const auto& entry) { return entry.first == id; }) > 0;
  };
  return erase(pre_hooks_) || erase(post_hooks_);
}

// ---- registration --------------------------------------------------------------

void Module::check_new_name(const std::string& name, const char* kind) const {
  MINI_CHECK(!name.empty() && name.find('.') == std::string::npos,
             "{}: {} name '{}' must be non-empty and contain no '.'", type_name_, kind, name);
  auto taken = [&name](const auto& list) {
    for (const auto& entry : list) {
      if (entry.name == name) return true;
    }
    return false;
  };
  bool child_taken = false;
  for (const auto& [child_name, child] : children_) child_taken = child_taken || child_name == name;
  MINI_CHECK(!taken(parameters_) && !taken(buffers_) && !child_taken, "{}: {} name '{}' is already registered",
             type_name_, kind, name);
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  MINI_CHECK(tensor.defined(), "{}: parameter '{}' is an undefined tensor", type_name_, name);
  if (requires_grad && is_floating(tensor.dtype())) tensor.requires_grad_(true);
  parameters_.push_back({name, tensor, true});
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor, bool persistent) {
  check_new_name(name, "buffer");
  MINI_CHECK(tensor.defined(), "{}: buffer '{}' is an undefined tensor", type_name_, name);
  buffers_.push_back({name, tensor, persistent});
  return tensor;
}

void Module::add_module(const std::string& name, ModulePtr module) {
  check_new_name(name, "submodule");
  MINI_CHECK(module != nullptr, "{}: submodule '{}' is null", type_name_, name);
  children_.emplace_back(name, std::move(module));
}

ModulePtr Module::remove_module(const std::string& name) {
  auto it = std::find_if(children_.begin(), children_.end(), [&name](const auto& entry) { return entry.first == name; });
  MINI_CHECK(it != children_.end(), "{}: no submodule '{}' to remove", type_name_, name);
  ModulePtr removed = std::move(it->second);
  children_.erase(it);
  return removed;
}

// ---- walks -------------------------------------------------------------------------

void Module::collect_tensors(const std::string& prefix, bool parameters, bool recurse, bool persistent_only,
                             std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const NamedTensor& entry : parameters ? parameters_ : buffers_) {
    if (!persistent_only || entry.persistent) out.emplace_back(join(prefix, entry.name), entry.tensor);
  }
  if (!recurse) return;
  for (const auto& [name, child] : children_) {
    child->collect_tensors(join(prefix, name), parameters, true, persistent_only, out);
  }
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect_tensors("", true, recurse, false, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_parameters(recurse)) out.push_back(tensor);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect_tensors("", false, recurse, false, out);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_buffers(recurse)) out.push_back(tensor);
  return out;
}

std::vector<ModulePtr> Module::children() const {
  std::vector<ModulePtr> out;
  for (const auto& [name, child] : children_) out.push_back(child);
  return out;
}

void Module::collect_modules(const std::string& prefix, std::vector<std::pair<std::string, ModulePtr>>& out) {
  out.emplace_back(prefix, shared_from_this());
  for (const auto& [name, child] : children_) child->collect_modules(join(prefix, name), out);
}

std::vector<std::pair<std::string, ModulePtr>> Module::named_modules() {
  std::vector<std::pair<std::string, ModulePtr>> out;
  collect_modules("", out);
  return out;
}

ModulePtr Module::get_submodule(std::string_view path) {
  ModulePtr current = shared_from_this();
  size_t start = 0;
  while (start < path.size()) {
    const size_t dot = std::min(path.find('.', start), path.size());
    const std::string_view part = path.substr(start, dot - start);
    ModulePtr next;
    for (const auto& [name, child] : current->children_) {
      if (name == part) next = child;
    }
    MINI_CHECK(next != nullptr, "{}: no submodule '{}' (looking up '{}')", type_name_, part, path);
    current = next;
    start = dot + 1;
  }
  return current;
}

int64_t Module::num_parameters(bool recurse) const {
  int64_t total = 0;
  for (const Tensor& p : parameters(recurse)) total += p.numel();
  return total;
}

// ---- mode and placement ------------------------------------------------------------

Module& Module::train(bool on) {
  training_ = on;
  for (const auto& [name, child] : children_) child->train(on);
  return *this;
}

void Module::convert_tensors(const std::function<Tensor(const Tensor&)>& convert) {
  NoGradGuard no_grad;
  for (NamedTensor& entry : parameters_) {
    Tensor grad = entry.tensor.grad();
    replace_data(entry.tensor, convert(entry.tensor));
    if (grad.defined()) entry.tensor.set_grad(convert(grad));
  }
  for (NamedTensor& entry : buffers_) replace_data(entry.tensor, convert(entry.tensor));
  for (const auto& [name, child] : children_) child->convert_tensors(convert);
}

Module& Module::to(DType dtype) {
  MINI_CHECK(is_floating(dtype), "{}.to({}): modules convert only to floating dtypes", type_name_, dtype);
  convert_tensors([dtype](const Tensor& t) { return is_floating(t.dtype()) ? ops::to_dtype(t, dtype) : t; });
  return *this;
}

Module& Module::to(Device device) {
  convert_tensors([device](const Tensor& t) { return ops::to_device(t, device); });
  return *this;
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& p : parameters()) p.zero_grad(set_to_none);
}

Module& Module::requires_grad_(bool requires_grad) {
  for (const Tensor& p : parameters()) p.requires_grad_(requires_grad);
  return *this;
}

// ---- state ---------------------------------------------------------------------------

StateDict Module::state_dict() const {
  StateDict state;
  // Per module: its parameters, then its persistent buffers, then its children (PyTorch's order).
  std::function<void(const Module&, const std::string&)> visit = [&](const Module& m, const std::string& prefix) {
    for (const NamedTensor& p : m.parameters_) state.insert(join(prefix, p.name), p.tensor.detach());
    for (const NamedTensor& b : m.buffers_) {
      if (b.persistent) state.insert(join(prefix, b.name), b.tensor.detach());
    }
    for (const auto& [name, child] : m.children_) visit(*child, join(prefix, name));
  };
  visit(*this, "");
  return state;
}

LoadStateResult Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict own = state_dict();
  LoadStateResult result;
  std::vector<std::string> mis_shaped;
  for (const auto& [name, tensor] : own) {
    const Tensor* source = state.find(name);
    if (source == nullptr) {
      result.missing_keys.push_back(name);
    } else if (source->sizes() != tensor.sizes()) {
      mis_shaped.push_back(
          fmt::format("{}: expected {}, got {}", name, shape_text(tensor.sizes()), shape_text(source->sizes())));
    }
  }
  for (const auto& [name, tensor] : state) {
    if (!own.contains(name)) result.unexpected_keys.push_back(name);
  }
  const bool key_errors = strict && (!result.missing_keys.empty() || !result.unexpected_keys.empty());
  if (key_errors || !mis_shaped.empty()) {
    std::string message = fmt::format("{}.load_state_dict: the state does not match the module", type_name_);
    if (strict && !result.missing_keys.empty()) {
      message += fmt::format("\n  missing keys: {}", fmt::join(result.missing_keys, ", "));
    }
    if (strict && !result.unexpected_keys.empty()) {
      message += fmt::format("\n  unexpected keys: {}", fmt::join(result.unexpected_keys, ", "));
    }
    if (!mis_shaped.empty()) message += fmt::format("\n  shape mismatches: {}", fmt::join(mis_shaped, "; "));
    MINI_CHECK(false, "{}", message);
  }
  NoGradGuard no_grad;
  for (const auto& [name, tensor] : own) {
    if (const Tensor* source = state.find(name)) ops::copy_(tensor, *source);
  }
  return result;
}

// ---- summary -------------------------------------------------------------------------

void Module::summary_lines(const std::string& name, int depth, std::string& out) const {
  const std::string indent(static_cast<size_t>(depth) * 2, ' ');
  const std::string label = name.empty() ? "" : "(" + name + "): ";
  out +=
      fmt::format("{}{}{}({})  [{} params]\n", indent, label, type_name_, extra_repr(), with_commas(num_parameters()));
  for (const auto& [child_name, child] : children_) child->summary_lines(child_name, depth + 1, out);
}

std::string Module::summary() const {
  std::string out;
  summary_lines("", 0, out);
  int64_t trainable = 0;
  for (const Tensor& p : parameters()) trainable += p.requires_grad() ? p.numel() : 0;
  out += fmt::format("Total parameters: {} ({} trainable)\n", with_commas(num_parameters()), with_commas(trainable));
  return out;
}

}  // namespace mini::nn
