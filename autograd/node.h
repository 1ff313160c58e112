#pragma once
// Node: one recorded op of the backward graph. It maps the gradients w.r.t.
// the op's outputs (one per output; undefined means zero) to gradients w.r.t.
// its inputs, one per entry of next_edges(), which point at the nodes that
// produced those inputs (or at a leaf's AccumulateGrad).
//
// Ops create nodes through autograd/record.h; the engine (autograd/engine.h)
// runs them. Nothing here knows about specific ops.
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "autograd/hooks.h"
#include "tensor/tensor.h"

namespace mini {

using GradList = std::vector<Tensor>;

// Where a gradient flows: input slot `input_nr` of `node` (the output_nr of
// the tensor that node produced). A null node means "no gradient needed".
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;
};

// The edges of one node. Most ops have one or two inputs, so two edges live
// inline: recording an op then allocates nothing for them, and the engine's
// walk over the graph touches one cache line less per node.
class EdgeList {
 public:
  static constexpr size_t kInline = 2;
  EdgeList() = default;
  EdgeList(const EdgeList&) = delete;
  EdgeList& operator=(const EdgeList&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Edge& operator[](size_t i) { return i < kInline ? inline_[i] : overflow_[i - kInline]; }
  const Edge& operator[](size_t i) const { return i < kInline ? inline_[i] : overflow_[i - kInline]; }
  void reserve(size_t count) {
    if (count > kInline) overflow_.reserve(count - kInline);
  }
  void push_back(Edge edge) {
    if (size_ < kInline) {
      inline_[size_] = std::move(edge);
    } else {
      overflow_.push_back(std::move(edge));
    }
    ++size_;
  }
  void clear() {
    for (Edge& edge : inline_) edge = Edge();
    overflow_.clear();
    size_ = 0;
  }

  template <typename List, typename Value>
  class Iterator {
   public:
    Iterator(List* list, size_t index) : list_(list), index_(index) {}
    Value& operator*() const { return (*list_)[index_]; }
    Value* operator->() const { return &(*list_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return index_ != other.index_; }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    List* list_;
    size_t index_;
  };
  Iterator<EdgeList, Edge> begin() { return {this, 0}; }
  Iterator<EdgeList, Edge> end() { return {this, size_}; }
  Iterator<const EdgeList, const Edge> begin() const { return {this, 0}; }
  Iterator<const EdgeList, const Edge> end() const { return {this, size_}; }

 private:
  Edge inline_[kInline];
  std::vector<Edge> overflow_;
  size_t size_ = 0;
};

using TensorHook = std::function<Tensor(const Tensor&)>;
// Sees (and may replace) the gradients w.r.t. the node's outputs before it runs.
using NodePreHook = std::function<void(GradList& grad_outputs)>;
// Sees the gradients the node produced (w.r.t. its inputs) and those it received.
using NodePostHook = std::function<void(const GradList& grad_inputs, const GradList& grad_outputs)>;

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node(const char* name, uint32_t num_outputs);
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The op's name ("exp", "matmul", "accumulate_grad").
  const char* name() const { return name_; }
  // Creation order on this thread; the engine runs later nodes first.
  uint64_t sequence_nr() const { return sequence_nr_; }
  // Number of forward outputs, i.e. of incoming gradients.
  uint32_t num_outputs() const { return num_outputs_; }
  const EdgeList& next_edges() const { return next_edges_; }
  EdgeList& mutable_next_edges() { return next_edges_; }

  // Runs the backward: throws the "backward through the graph a second time"
  // error once released.
  GradList run(GradList&& grad_outputs);
  // Drops saved values and edges after a backward without retain_graph.
  void release();
  bool released() const { return released_; }

  // Hooks (ids are unique per process; handles remove them).
  HookHandle add_pre_hook(NodePreHook hook);
  HookHandle add_post_hook(NodePostHook hook);
  // A hook on the gradient of output `output_nr` (Tensor::register_hook on a non-leaf).
  HookHandle add_tensor_pre_hook(uint32_t output_nr, TensorHook hook);
  // Stores the gradient of output `output_nr` into `tensor`'s .grad (Tensor::retain_grad); runs after the hooks.
  void add_retain_grad(uint32_t output_nr, const std::shared_ptr<TensorImpl>& tensor);
  // Applies the pre-hooks (tensor hooks, retain_grad, node pre-hooks) in place.
  virtual void run_pre_hooks(GradList& grad_outputs);
  void run_post_hooks(const GradList& grad_inputs, const GradList& grad_outputs);
  bool has_post_hooks() const { return hooks_ != nullptr && !hooks_->post.empty(); }
  // False for nodes shared by every graph that reaches them (AccumulateGrad).
  virtual bool releasable() const { return true; }

 protected:
  // AccumulateGrad runs as soon as it is ready, so leaf gradients leave the buffers early.
  void run_first() { sequence_nr_ = UINT64_MAX; }
  virtual GradList apply(GradList&& grad_outputs) = 0;
  // Frees what the backward closure saved.
  virtual void release_saved() {}

 private:
  friend class GraphTask;  // the engine's per-backward state lives in the node (see engine.cpp)
  struct Hooks {
    std::vector<std::pair<uint64_t, NodePreHook>> pre;
    std::vector<std::pair<uint64_t, NodePostHook>> post;
    struct TensorPreHook {
      uint64_t id;
      uint32_t output_nr;
      TensorHook hook;
    };
    std::vector<TensorPreHook> tensor_pre;
    std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retains_grad;
  };
  Hooks& hooks();
  HookHandle make_handle(uint64_t id);

  const char* name_;
  uint64_t sequence_nr_;
  uint32_t num_outputs_;
  bool released_ = false;
  EdgeList next_edges_;
  std::unique_ptr<Hooks> hooks_;  // allocated only when a hook is added

  // Engine state for the backward that currently uses this node.
  uint64_t task_id_ = 0;
  uint32_t dependencies_ = 0;
  bool wanted_ = false;  // a gradient should be delivered here (needed or captured)
  bool needed_ = false;  // its backward must run
  GradList input_buffer_;
};

// A node whose backward is a closure (every op in autograd/functions uses
// this). The closure holds the saved values; release() destroys it.
template <typename Backward>
class LambdaNode final : public Node {
 public:
  LambdaNode(const char* name, uint32_t num_outputs, Backward&& backward)
      : Node(name, num_outputs), backward_(std::move(backward)), has_backward_(true) {}
  ~LambdaNode() override;

 protected:
  GradList apply(GradList&& grad_outputs) override { return backward_(grad_outputs); }
  void release_saved() override;

 private:
  // NOTE: a union so release_saved() can destroy the closure early (freeing
  // saved activations) without std::optional's extra checks on every call.
  union {
    Backward backward_;
  };
  bool has_backward_;
};

namespace detail {
// NOTE [deferred destruction]: a chain of 100,000 nodes would destroy itself
// recursively (node -> edge -> node, node -> closure -> saved tensor -> its
// AutogradMeta -> grad_fn -> ...) and overflow the stack. While a
// DestructionScope is open, a node whose last reference goes away (through an
// edge or an AutogradMeta's grad_fn) is queued instead of destroyed; the
// outermost scope destroys the queue one node at a time, so the depth stays
// constant and nothing extra is allocated per node.
void defer_destruction(std::shared_ptr<Node>&& node);
class DestructionScope {
 public:
  DestructionScope();
  ~DestructionScope();  // the outermost scope drains the queue
  DestructionScope(const DestructionScope&) = delete;
  DestructionScope& operator=(const DestructionScope&) = delete;

 private:
  bool outermost_;
};
}  // namespace detail

template <typename Backward>
LambdaNode<Backward>::~LambdaNode() {
  if (!has_backward_) return;
  detail::DestructionScope scope;
  backward_.~Backward();
}

template <typename Backward>
void LambdaNode<Backward>::release_saved() {
  if (!has_backward_) return;
  has_backward_ = false;
  detail::DestructionScope scope;
  backward_.~Backward();
}

namespace detail {
// NOTE [node memory]: nodes and AutogradMeta are created and freed once per
// recorded op, and their sizes are past malloc's fast bins, which made
// malloc/free a third of the cost of recording. They come from thread-local
// free lists by 64-byte size class instead (a block may be freed on another
// thread; it then joins that thread's list).
void* allocate_graph_memory(size_t bytes);
void free_graph_memory(void* pointer, size_t bytes);
template <typename T>
struct GraphAllocator {
  using value_type = T;
  GraphAllocator() = default;
  template <typename U>
  GraphAllocator(const GraphAllocator<U>&) {}  // NOLINT
  T* allocate(size_t count) { return static_cast<T*>(allocate_graph_memory(count * sizeof(T))); }
  void deallocate(T* pointer, size_t count) { free_graph_memory(pointer, count * sizeof(T)); }
  template <typename U>
  bool operator==(const GraphAllocator<U>&) const {
    return true;
  }
};
// make_shared for graph objects.
template <typename T, typename... Args>
std::shared_ptr<T> make_graph_object(Args&&... args) {
  return std::allocate_shared<T>(GraphAllocator<T>(), std::forward<Args>(args)...);
}
}  // namespace detail

// The node whose backward is running on this thread (SavedTensor uses it to
// reconnect saved outputs for double backward); null outside the engine.
Node* current_node();
class CurrentNodeGuard {
 public:
  explicit CurrentNodeGuard(Node* node);
  ~CurrentNodeGuard();

 private:
  Node* previous_;
};

}  // namespace mini
