#include "autograd/node.h"

#include <algorithm>
#include <atomic>

#include "autograd/autograd_meta.h"
#include "tensor/error.h"

namespace mini {

namespace {
thread_local uint64_t next_sequence_nr = 0;
std::atomic<uint64_t> next_hook_id{1};
thread_local Node* running_node = nullptr;

// See NOTE [deferred destruction] in node.h.
struct DestructionQueue {
  bool active = false;
  std::vector<std::shared_ptr<Node>> nodes;
};
thread_local DestructionQueue destruction_queue;
}  // namespace

namespace detail {

namespace {
constexpr size_t kClassBytes = 64;
constexpr size_t kClasses = 16;           // blocks up to 1 KiB are pooled
constexpr size_t kMaxCachedPerClass = 1 << 15;
struct FreeBlock {
  FreeBlock* next;
};
// Set when this thread's pool is gone (thread exit); later frees go to the system.
thread_local bool graph_memory_pool_destroyed = false;
struct GraphMemoryPool {
  FreeBlock* heads[kClasses] = {};
  size_t counts[kClasses] = {};
  ~GraphMemoryPool() {
    graph_memory_pool_destroyed = true;
    for (size_t c = 0; c < kClasses; ++c) {
      while (heads[c] != nullptr) {
        FreeBlock* block = heads[c];
        heads[c] = block->next;
        ::operator delete(block);
      }
    }
  }
};
thread_local GraphMemoryPool graph_memory_pool;
}  // namespace

void* allocate_graph_memory(size_t bytes) {
  const size_t size_class = (bytes + kClassBytes - 1) / kClassBytes;
  if (size_class == 0 || size_class > kClasses || graph_memory_pool_destroyed) {
    return ::operator new(size_class * kClassBytes);
  }
  GraphMemoryPool& pool = graph_memory_pool;
  FreeBlock*& head = pool.heads[size_class - 1];
  if (head == nullptr) return ::operator new(size_class * kClassBytes);
  FreeBlock* block = head;
  head = block->next;
  --pool.counts[size_class - 1];
  return block;
}

void free_graph_memory(void* pointer, size_t bytes) {
  const size_t size_class = (bytes + kClassBytes - 1) / kClassBytes;
  if (graph_memory_pool_destroyed) {
    ::operator delete(pointer);
    return;
  }
  GraphMemoryPool& pool = graph_memory_pool;
  if (size_class == 0 || size_class > kClasses || pool.counts[size_class - 1] >= kMaxCachedPerClass) {
    ::operator delete(pointer);
    return;
  }
  auto* block = static_cast<FreeBlock*>(pointer);
  block->next = pool.heads[size_class - 1];
  pool.heads[size_class - 1] = block;
  ++pool.counts[size_class - 1];
}

void defer_destruction(std::shared_ptr<Node>&& node) { destruction_queue.nodes.push_back(std::move(node)); }

DestructionScope::DestructionScope() : outermost_(!destruction_queue.active) { destruction_queue.active = true; }
DestructionScope::~DestructionScope() {
  if (!outermost_) return;
  DestructionQueue& queue = destruction_queue;
  // Each pop may queue more; the loop ends when a whole subgraph is gone.
  while (!queue.nodes.empty()) {
    std::shared_ptr<Node> node = std::move(queue.nodes.back());
    queue.nodes.pop_back();
    node.reset();
  }
  queue.active = false;
}
}  // namespace detail

Node::Node(const char* name, uint32_t num_outputs)
    : name_(name), sequence_nr_(next_sequence_nr++), num_outputs_(num_outputs) {}

Node::~Node() {
  detail::DestructionScope scope;
  for (Edge& edge : next_edges_) {
    // Only the last reference recurses; others are a counter decrement.
    if (edge.node && edge.node.use_count() == 1) detail::defer_destruction(std::move(edge.node));
  }
  // Tensors in the input buffer (create_graph) defer their grad_fn through ~AutogradMeta.
  input_buffer_.clear();
}

GradList Node::run(GradList&& grad_outputs) {
  if (released_) {
    throw Error(fmt::format(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have "
        "already been freed): node '{}' was released by an earlier backward. Saved intermediate values of the graph "
        "are freed when you call backward() or grad(); pass retain_graph=true to the first call if you need to "
        "backward through the graph again.",
        name_));
  }
  CurrentNodeGuard guard(this);
  GradList grad_inputs = apply(std::move(grad_outputs));
  MINI_ASSERT(grad_inputs.size() == next_edges_.size(), "backward of '{}' returned {} gradients for {} inputs", name_,
              grad_inputs.size(), next_edges_.size());
  return grad_inputs;
}

void Node::release() {
  if (!releasable()) return;
  release_saved();
  released_ = true;
  detail::DestructionScope scope;
  for (Edge& edge : next_edges_) {
    if (edge.node) detail::defer_destruction(std::move(edge.node));
  }
  next_edges_.clear();
}

Node::Hooks& Node::hooks() {
  if (!hooks_) hooks_ = std::make_unique<Hooks>();
  return *hooks_;
}

HookHandle Node::make_handle(uint64_t id) {
  return HookHandle([weak = weak_from_this(), id] {
    std::shared_ptr<Node> node = weak.lock();
    if (!node || !node->hooks_) return;
    Hooks& h = *node->hooks_;
    std::erase_if(h.pre, [id](const auto& entry) { return entry.first == id; });
    std::erase_if(h.post, [id](const auto& entry) { return entry.first == id; });
    std::erase_if(h.tensor_pre, [id](const auto& entry) { return entry.id == id; });
  });
}

HookHandle Node::add_pre_hook(NodePreHook hook) {
  const uint64_t id = next_hook_id++;
  hooks().pre.emplace_back(id, std::move(hook));
  return make_handle(id);
}

HookHandle Node::add_post_hook(NodePostHook hook) {
  const uint64_t id = next_hook_id++;
  hooks().post.emplace_back(id, std::move(hook));
  return make_handle(id);
}

HookHandle Node::add_tensor_pre_hook(uint32_t output_nr, TensorHook hook) {
  const uint64_t id = next_hook_id++;
  hooks().tensor_pre.push_back({id, output_nr, std::move(hook)});
  return make_handle(id);
}

void Node::add_retain_grad(uint32_t output_nr, const std::shared_ptr<TensorImpl>& tensor) {
  hooks().retains_grad.emplace_back(output_nr, tensor);
}

void Node::run_pre_hooks(GradList& grad_outputs) {
  if (!hooks_) return;
  for (const auto& entry : hooks_->tensor_pre) {
    Tensor& grad = grad_outputs[entry.output_nr];
    if (!grad.defined()) continue;
    Tensor replaced = entry.hook(grad);
    if (replaced.defined()) grad = std::move(replaced);
  }
  for (const auto& [output_nr, weak_tensor] : hooks_->retains_grad) {
    std::shared_ptr<TensorImpl> impl = weak_tensor.lock();
    const Tensor& grad = grad_outputs[output_nr];
    if (!impl || !grad.defined()) continue;
    accumulate_into_grad(Tensor(impl), grad);
  }
  for (const auto& [id, hook] : hooks_->pre) hook(grad_outputs);
}

void Node::run_post_hooks(const GradList& grad_inputs, const GradList& grad_outputs) {
  if (!hooks_) return;
  for (const auto& [id, hook] : hooks_->post) hook(grad_inputs, grad_outputs);
}

AutogradMeta::~AutogradMeta() {
  detail::DestructionScope scope;
  if (grad_fn && grad_fn.use_count() == 1) detail::defer_destruction(std::move(grad_fn));
}

Node* current_node() { return running_node; }
CurrentNodeGuard::CurrentNodeGuard(Node* node) : previous_(running_node) { running_node = node; }
CurrentNodeGuard::~CurrentNodeGuard() { running_node = previous_; }

}  // namespace mini
