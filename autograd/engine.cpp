#include "autograd/engine.h"

#include <atomic>
#include <queue>

#include "autograd/autocast.h"
#include "autograd/autograd_meta.h"
#include "autograd/functions/elementwise.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/record.h"
#include "tensor/error.h"
#include "tensor/ops/factory.h"

namespace mini {

namespace {
std::atomic<uint64_t> next_task_id{1};
// Tasks running on this thread, outermost first (a node's backward may start
// a nested backward, e.g. checkpoint).
thread_local std::vector<uint64_t> active_tasks;

bool task_is_active(uint64_t id) {
  for (uint64_t active : active_tasks) {
    if (active == id) return true;
  }
  return false;
}

struct ReadyOrder {
  bool operator()(const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) const {
    return a->sequence_nr() < b->sequence_nr();
  }
};
}  // namespace

// The state of one backward call. NOTE: the per-node state (dependency count,
// input buffer, flags) lives in the nodes themselves, tagged with the task id,
// which avoids a hash map per backward. A nested task that meets a node of a
// still-running outer task saves that node's state and restores it at the end.
class GraphTask {
 public:
  struct Capture {
    Node* node;
    uint32_t input_nr;
    size_t index;
  };

  GraphTask(bool retain_graph, std::vector<Capture> captures)
      : id_(next_task_id++), retain_graph_(retain_graph), captures_(std::move(captures)) {
    active_tasks.push_back(id_);
  }
  // NOTE: after an exception, nodes that did not run may keep gradients in
  // their buffers until the graph is freed or used by another backward (which
  // resets them); nodes that ran may already be gone, so they are not walked here.
  ~GraphTask() {
    for (Borrowed& borrowed : borrowed_) {
      Node& node = *borrowed.node;
      node.task_id_ = borrowed.task_id;
      node.dependencies_ = borrowed.dependencies;
      node.wanted_ = borrowed.wanted;
      node.needed_ = borrowed.needed;
      node.input_buffer_ = std::move(borrowed.input_buffer);
    }
    active_tasks.pop_back();
  }
  GraphTask(const GraphTask&) = delete;
  GraphTask& operator=(const GraphTask&) = delete;

  bool reached(const Node* node) const { return node->task_id_ == id_; }

  // Counts dependencies over everything reachable from the roots and decides
  // which nodes must run: all of them for backward(); for grad() only those
  // with a captured input below them.
  void discover(const std::vector<Edge>& roots) {
    struct Frame {
      Node* node;
      size_t next_edge;
    };
    // Reused across backward calls: growing a large stack each time would
    // make malloc consolidate its free lists (measurable in bench_autograd).
    thread_local std::vector<Frame> frames;
    std::vector<Frame> stack = std::move(frames);
    stack.clear();
    for (const Edge& root : roots) {
      if (reached(root.node.get())) continue;
      claim(root.node.get());
      stack.push_back({root.node.get(), 0});
      while (!stack.empty()) {
        Node* node = stack.back().node;
        const EdgeList& edges = node->next_edges_;
        if (stack.back().next_edge < edges.size()) {
          Node* child = edges[stack.back().next_edge++].node.get();
          if (child == nullptr) continue;
          if (reached(child)) {
            ++child->dependencies_;
          } else {
            claim(child);
            child->dependencies_ = 1;
            stack.push_back({child, 0});
          }
          continue;
        }
        // Post-order: every child's flags are final (the graph is a DAG).
        bool needed = captures_.empty();
        for (const Edge& edge : edges) needed = needed || (edge.node && edge.node->wanted_);
        node->needed_ = needed;
        node->wanted_ = node->wanted_ || needed;
        stack.pop_back();
      }
    }
    frames = std::move(stack);
  }

  void execute(const std::vector<Edge>& roots, GradList root_grads) {
    for (size_t i = 0; i < roots.size(); ++i) add_to_buffer(*roots[i].node, roots[i].input_nr, std::move(root_grads[i]));
    for (const Edge& root : roots) {
      Node* node = root.node.get();
      // A root reached from another root waits for it; queue each root once.
      if (node->dependencies_ == 0 && node->wanted_) {
        node->dependencies_ = UINT32_MAX;
        ready_.push(root.node);
      }
    }
    while (!ready_.empty()) {
      std::shared_ptr<Node> node = ready_.top();
      ready_.pop();
      run_node(*node);
    }
  }

  std::vector<Tensor> take_results(size_t count) {
    std::vector<Tensor> results(count);
    for (auto& [index, grad] : results_) results[index] = std::move(grad);
    return results;
  }

 private:
  struct Borrowed {
    std::shared_ptr<Node> node;
    uint64_t task_id;
    uint32_t dependencies;
    bool wanted, needed;
    GradList input_buffer;
  };

  void claim(Node* node) {
    if (node->task_id_ != 0 && task_is_active(node->task_id_)) {
      borrowed_.push_back({node->shared_from_this(), node->task_id_, node->dependencies_, node->wanted_,
                           node->needed_, std::move(node->input_buffer_)});
    }
    node->task_id_ = id_;
    node->dependencies_ = 0;
    node->needed_ = false;
    node->wanted_ = false;
    node->input_buffer_.clear();
    for (const Capture& capture : captures_) node->wanted_ = node->wanted_ || capture.node == node;
  }

  static void add_to_buffer(Node& node, uint32_t input_nr, Tensor&& grad) {
    if (!grad.defined()) return;
    GradList& buffer = node.input_buffer_;
    if (buffer.empty()) buffer.resize(node.num_outputs());
    Tensor& slot = buffer[input_nr];
    // Out of place: the incoming gradient may be shared with another input (add's backward).
    slot = slot.defined() ? mini::add(slot, grad) : std::move(grad);
  }

  void run_node(Node& node) {
    GradList grads = std::move(node.input_buffer_);
    node.input_buffer_ = {};
    grads.resize(node.num_outputs());
    node.run_pre_hooks(grads);
    for (const Capture& capture : captures_) {
      if (capture.node == &node) results_.emplace_back(capture.index, grads[capture.input_nr]);
    }
    if (!node.needed_) return;

    bool any_defined = false;
    for (const Tensor& grad : grads) any_defined = any_defined || grad.defined();
    GradList grad_inputs;
    if (any_defined) {
      // Every backward is linear in its incoming gradients, so all-zero in means all-zero out.
      GradList kept = node.has_post_hooks() ? grads : GradList{};
      grad_inputs = node.run(std::move(grads));
      if (node.has_post_hooks()) node.run_post_hooks(grad_inputs, kept);
    } else {
      if (node.released()) node.run({});  // throws the "second time" error
      grad_inputs.resize(node.next_edges_.size());
    }

    const EdgeList& edges = node.next_edges_;
    for (size_t i = 0; i < edges.size(); ++i) {
      Node* child = edges[i].node.get();
      if (child == nullptr || !child->wanted_) continue;
      add_to_buffer(*child, edges[i].input_nr, std::move(grad_inputs[i]));
      if (--child->dependencies_ == 0) ready_.push(edges[i].node);
    }
    if (!retain_graph_) node.release();
  }

  uint64_t id_;
  bool retain_graph_;
  std::vector<Capture> captures_;
  std::vector<std::pair<size_t, Tensor>> results_;
  std::vector<Borrowed> borrowed_;
  std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>, ReadyOrder> ready_;
};

namespace {

// The edges and initial gradients for `outputs`, with the user-facing checks.
void prepare_roots(const char* op, const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                   std::vector<Edge>& roots, GradList& root_grads) {
  MINI_CHECK(!outputs.empty(), "{}: no outputs given", op);
  MINI_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
             "{}: got {} grad_outputs for {} outputs", op, grad_outputs.size(), outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& output = outputs[i];
    MINI_CHECK(output.defined() && tensor_requires_grad(output),
               "{}: element {} of tensors does not require grad and does not have a grad_fn", op, i);
    Tensor grad = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (grad.defined()) {
      MINI_CHECK(grad.sizes() == output.sizes(),
                 "{}: Mismatch in shape: grad_output[{}] has a shape of {} and output[{}] has a shape of {}", op, i,
                 shape_str(grad.sizes()), i, shape_str(output.sizes()));
      MINI_CHECK(is_floating(grad.dtype()), "{}: grad_output[{}] has dtype {}; expected a floating dtype", op, i,
                 grad.dtype());
    } else {
      MINI_CHECK(output.numel() == 1,
                 "{}: grad can be implicitly created only for one-element outputs; output {} has shape {}", op, i,
                 shape_str(output.sizes()));
      grad = ops::ones_like(output);
    }
    roots.push_back(gradient_edge(output));
    root_grads.push_back(std::move(grad));
  }
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph,
              bool create_graph) {
  std::vector<Edge> roots;
  GradList root_grads;
  prepare_roots("backward", outputs, grad_outputs, roots, root_grads);
  AutoGradMode mode(create_graph);
  // Each backward op runs in the dtypes of its forward op, never re-cast (torch.autocast's rule).
  AutocastStateGuard no_autocast(AutocastState{});
  GraphTask task(retain_graph, {});
  task.discover(roots);
  task.execute(roots, std::move(root_grads));
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph, bool create_graph,
                         bool allow_unused) {
  std::vector<Edge> roots;
  GradList root_grads;
  prepare_roots("grad", outputs, grad_outputs, roots, root_grads);
  MINI_CHECK(!inputs.empty(), "grad: no inputs given");
  std::vector<Edge> input_edges;
  std::vector<GraphTask::Capture> captures;
  for (size_t i = 0; i < inputs.size(); ++i) {
    MINI_CHECK(inputs[i].defined() && tensor_requires_grad(inputs[i]), "grad: input {} does not require grad", i);
    input_edges.push_back(gradient_edge(inputs[i]));
    captures.push_back({input_edges.back().node.get(), input_edges.back().input_nr, i});
  }
  AutoGradMode mode(create_graph);
  AutocastStateGuard no_autocast(AutocastState{});
  GraphTask task(retain_graph.value_or(create_graph), std::move(captures));
  task.discover(roots);
  task.execute(roots, std::move(root_grads));
  std::vector<Tensor> results = task.take_results(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (results[i].defined()) continue;
    const bool used = task.reached(input_edges[i].node.get());
    MINI_CHECK(used || allow_unused,
               "grad: input {} (shape {}) was not used in the graph of the outputs; pass allow_unused=true if this "
               "is expected",
               i, shape_str(inputs[i].sizes()));
    // Reached but every path carried a zero gradient.
    if (used) results[i] = ops::zeros_like(inputs[i]);
  }
  return results;
}

}  // namespace mini
