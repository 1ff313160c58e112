// cuDNN convolutions for CudaBackend on a GPU (see cudnn_conv.h).
//
// NOTE [ legacy cuDNN API ]: this uses cuDNN's descriptor API
// (cudnnConvolutionForward / BackwardData / BackwardFilter). cuDNN 9 marks it
// deprecated in favour of the graph API, but warns only when
// CUDNN_WARN_DEPRECATED is defined (we do not), and it is still the shortest
// way to one convolution. If a later cuDNN removes it, this file moves to the
// graph API; nothing outside it changes.
//
// Algorithm choice: cuDNN's heuristics (cudnnGet*Algorithm_v7: no timing runs,
// no memory) rank the algorithms once per problem (pass, dtype, math mode,
// shapes, geometry, device); the usable ones are cached in that order. Usable
// means deterministic, so a training run repeats bit for bit (the dropped
// BWD_DATA_ALGO_0 and BWD_FILTER_ALGO_0/3 add with atomics), and for f32
// without MINI_CUDA_TF32=1, FMA-only (no TF32 tensor cores), as cuBLAS is used.
// Each call takes the first candidate whose workspace the caching allocator
// can give; the workspace goes back to the cache when the call returns, which
// is safe because blocks are reused only by the same stream.
//
// One cuDNN handle per device, created on first use (cudnnCreate loads the
// sublibraries: slow) and bound to the caller's current stream on every call.
// A handle is not safe to use from two threads at once, so a per-device mutex
// covers everything from cudnnSetStream to the enqueued convolution.
#include "cuda/backend/cudnn_conv.h"

#include <cudnn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here from format.h in fmt 11)

#include <array>
#include <climits>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/library_switches.h"
#include "cuda/runtime/stream.h"
#include "tensor/error.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

enum class Pass : uint8_t { forward, backward_input, backward_weight };

const char* pass_name(Pass pass) {
  switch (pass) {
    case Pass::forward:
      return "conv2d";
    case Pass::backward_input:
      return "conv2d_backward_input";
    case Pass::backward_weight:
      return "conv2d_backward_weight";
  }
  return "conv2d";
}

// One convolution in cuDNN's terms: x (N, C, H, W) * w (K, C/groups, kh, kw) -> y (N, K, oh, ow).
// Also the key of the algorithm cache.
struct Problem {
  int device = 0;
  Pass pass = Pass::forward;
  cudnnDataType_t data_type = CUDNN_DATA_FLOAT;
  bool tf32 = false;
  std::array<int, 4> x{}, w{}, y{};
  std::array<int, 2> pad{}, stride{}, dilation{};
  int groups = 1;
  auto operator<=>(const Problem&) const = default;

  std::string str() const {
    return fmt::format("{}: input ({}) weight ({}) out ({}) pad ({}) stride ({}) dilation ({}) groups {}",
                       pass_name(pass), fmt::join(x, ", "), fmt::join(w, ", "), fmt::join(y, ", "),
                       fmt::join(pad, ", "), fmt::join(stride, ", "), fmt::join(dilation, ", "), groups);
  }
};

// The cuDNN data type for a dtype cuDNN convolves; nullopt for the others.
std::optional<cudnnDataType_t> data_type_for(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return CUDNN_DATA_FLOAT;
    case DType::f64:
      return CUDNN_DATA_DOUBLE;
    case DType::f16:
      return CUDNN_DATA_HALF;
    case DType::bf16:
      return CUDNN_DATA_BFLOAT16;
    default:
      return std::nullopt;
  }
}

bool copy_sizes(const Shape& sizes, std::array<int, 4>* out) {
  if (sizes.size() != 4) return false;
  int64_t numel = 1;
  for (size_t d = 0; d < 4; ++d) {
    if (sizes[d] <= 0 || sizes[d] > INT_MAX) return false;
    (*out)[d] = static_cast<int>(sizes[d]);
    numel *= sizes[d];
  }
  return numel <= INT_MAX;  // cuDNN's limit on the elements of one tensor
}

bool fits_int(int64_t value) { return value >= 0 && value <= INT_MAX; }

// The problem for tensors of these sizes, or nullopt when cuDNN does not apply (see cudnn_conv.h).
std::optional<Problem> describe(Pass pass, int device, DType dtype, const Shape& x_sizes, const Shape& w_sizes,
                                const Shape& y_sizes, const ConvGeometry& g, int64_t groups) {
  if (!cudnn_enabled()) return std::nullopt;
  const std::optional<cudnnDataType_t> data_type = data_type_for(dtype);
  if (!data_type) return std::nullopt;
  Problem p;
  p.device = device;
  p.pass = pass;
  p.data_type = *data_type;
  p.tf32 = dtype == DType::f32 && tf32_allowed();
  if (!copy_sizes(x_sizes, &p.x) || !copy_sizes(w_sizes, &p.w) || !copy_sizes(y_sizes, &p.y)) return std::nullopt;
  for (int64_t value : {g.pad_h, g.pad_w, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w, groups}) {
    if (!fits_int(value)) return std::nullopt;
  }
  p.pad = {static_cast<int>(g.pad_h), static_cast<int>(g.pad_w)};
  p.stride = {static_cast<int>(g.stride_h), static_cast<int>(g.stride_w)};
  p.dilation = {static_cast<int>(g.dilation_h), static_cast<int>(g.dilation_w)};
  p.groups = static_cast<int>(groups);
  MINI_ASSERT(y_sizes[0] == x_sizes[0] && y_sizes[1] == w_sizes[0] && y_sizes[2] == g.out_h() &&
                  y_sizes[3] == g.out_w() && w_sizes[1] * groups == x_sizes[1],
              "cuda {}: sizes do not fit together: {}", pass_name(pass), p.str());
  return p;
}

bool not_supported(cudnnStatus_t status) { return CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_NOT_SUPPORTED; }

// Tensor-core kernels load 16 bytes at a time. A contiguous view can start at
// any element (a narrowed batch of f16 images, say), so operands are kept
// 16-byte aligned: inputs by copying, outputs by declining (conv2d's outputs
// are fresh allocations, aligned to 512 bytes by the caching allocator).
constexpr uintptr_t kAlignment = 16;
bool aligned(const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()) % kAlignment == 0; }

// `t` when contiguous and aligned, else a fresh contiguous copy on the device.
Tensor aligned_contiguous(CudaBackend& backend, const Tensor& t) {
  if (t.is_contiguous() && aligned(t)) return t;
  Tensor copy_of = backend.empty(t.sizes(), t.dtype());
  backend.copy(copy_of, t);
  return copy_of;
}

void check(cudnnStatus_t status, const char* call, const Problem& p) {
  if (status != CUDNN_STATUS_SUCCESS) {
    throw Error(
        fmt::format("cuda {} failed in {}: {} ({})", pass_name(p.pass), call, cudnnGetErrorString(status), p.str()));
  }
}

// A cuDNN descriptor destroyed with its owner.
template <typename Handle, cudnnStatus_t (*destroy)(Handle)>
struct Owned {
  Handle handle = nullptr;
  Owned() = default;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (handle != nullptr) (void)destroy(handle);
  }
};

// Math type the descriptor starts with, so the heuristics consider the right
// kernels: f32 FMA-only unless TF32 is allowed, then CUDNN_DEFAULT_MATH, the
// mode cuDNN documents as permitting TF32 on Ampere and later (PyTorch's
// choice too; TENSOR_OP_MATH is documented for 16-bit data); f16/bf16 tensor
// cores (accumulating in f32).
cudnnMathType_t math_type_for(const Problem& p) {
  switch (p.data_type) {
    case CUDNN_DATA_FLOAT:
      return p.tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
    case CUDNN_DATA_DOUBLE:
      return CUDNN_DEFAULT_MATH;
    default:
      return CUDNN_TENSOR_OP_MATH;
  }
}

// The descriptors of one problem. Setting them fails with a NOT_SUPPORTED
// status for combinations cuDNN rejects; `supported` is false then.
struct Descriptors {
  Owned<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor> x, y;
  Owned<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor> w;
  Owned<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor> conv;
  bool supported = true;

  explicit Descriptors(const Problem& p) {
    check(cudnnCreateTensorDescriptor(&x.handle), "cudnnCreateTensorDescriptor", p);
    check(cudnnCreateTensorDescriptor(&y.handle), "cudnnCreateTensorDescriptor", p);
    check(cudnnCreateFilterDescriptor(&w.handle), "cudnnCreateFilterDescriptor", p);
    check(cudnnCreateConvolutionDescriptor(&conv.handle), "cudnnCreateConvolutionDescriptor", p);
    // 16-bit data accumulates in f32 ("pseudo half"), f64 in f64.
    const cudnnDataType_t compute = p.data_type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    set(cudnnSetTensor4dDescriptor(x.handle, CUDNN_TENSOR_NCHW, p.data_type, p.x[0], p.x[1], p.x[2], p.x[3]),
        "cudnnSetTensor4dDescriptor", p);
    set(cudnnSetTensor4dDescriptor(y.handle, CUDNN_TENSOR_NCHW, p.data_type, p.y[0], p.y[1], p.y[2], p.y[3]),
        "cudnnSetTensor4dDescriptor", p);
    set(cudnnSetFilter4dDescriptor(w.handle, p.data_type, CUDNN_TENSOR_NCHW, p.w[0], p.w[1], p.w[2], p.w[3]),
        "cudnnSetFilter4dDescriptor", p);
    // Cross-correlation (no kernel flip), as conv2d is defined everywhere else.
    set(cudnnSetConvolution2dDescriptor(conv.handle, p.pad[0], p.pad[1], p.stride[0], p.stride[1], p.dilation[0],
                                        p.dilation[1], CUDNN_CROSS_CORRELATION, compute),
        "cudnnSetConvolution2dDescriptor", p);
    set(cudnnSetConvolutionGroupCount(conv.handle, p.groups), "cudnnSetConvolutionGroupCount", p);
    set(cudnnSetConvolutionMathType(conv.handle, math_type_for(p)), "cudnnSetConvolutionMathType", p);
  }

 private:
  void set(cudnnStatus_t status, const char* call, const Problem& p) {
    if (not_supported(status)) {
      supported = false;
    } else if (supported) {
      check(status, call, p);
    }
  }
};

// An algorithm of the problem's pass (a cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t) and its math type.
struct Candidate {
  int algo;
  cudnnMathType_t math;
};

template <typename Perf>
void keep_usable(const Perf* perfs, int count, const Problem& p, std::vector<Candidate>* out) {
  for (int i = 0; i < count; ++i) {
    const Perf& perf = perfs[i];
    if (perf.status != CUDNN_STATUS_SUCCESS || perf.determinism != CUDNN_DETERMINISTIC) continue;
    if (p.data_type == CUDNN_DATA_FLOAT && !p.tf32 && perf.mathType != CUDNN_FMA_MATH) continue;
    out->push_back({static_cast<int>(perf.algo), perf.mathType});
  }
}

// cuDNN's ranking of the algorithms for the problem, usable ones only (best first).
std::vector<Candidate> rank_candidates(cudnnHandle_t handle, const Descriptors& d, const Problem& p) {
  std::vector<Candidate> candidates;
  int count = 0;
  cudnnStatus_t status = CUDNN_STATUS_SUCCESS;
  switch (p.pass) {
    case Pass::forward: {
      std::array<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT> perfs{};
      status = cudnnGetConvolutionForwardAlgorithm_v7(handle, d.x.handle, d.w.handle, d.conv.handle, d.y.handle,
                                                      static_cast<int>(perfs.size()), &count, perfs.data());
      if (status == CUDNN_STATUS_SUCCESS) keep_usable(perfs.data(), count, p, &candidates);
      break;
    }
    case Pass::backward_input: {
      std::array<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT> perfs{};
      status = cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, d.w.handle, d.y.handle, d.conv.handle, d.x.handle,
                                                           static_cast<int>(perfs.size()), &count, perfs.data());
      if (status == CUDNN_STATUS_SUCCESS) keep_usable(perfs.data(), count, p, &candidates);
      break;
    }
    case Pass::backward_weight: {
      std::array<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT> perfs{};
      status = cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, d.x.handle, d.y.handle, d.conv.handle, d.w.handle,
                                                             static_cast<int>(perfs.size()), &count, perfs.data());
      if (status == CUDNN_STATUS_SUCCESS) keep_usable(perfs.data(), count, p, &candidates);
      break;
    }
  }
  if (!not_supported(status)) check(status, "cudnnGetConvolution*Algorithm_v7", p);
  return candidates;
}

// Workspace bytes the candidate needs (the descriptor already carries its math type); nullopt if it does not run.
std::optional<size_t> workspace_bytes(cudnnHandle_t handle, const Descriptors& d, const Problem& p,
                                      const Candidate& c) {
  size_t bytes = 0;
  cudnnStatus_t status = CUDNN_STATUS_SUCCESS;
  switch (p.pass) {
    case Pass::forward:
      status = cudnnGetConvolutionForwardWorkspaceSize(handle, d.x.handle, d.w.handle, d.conv.handle, d.y.handle,
                                                       static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), &bytes);
      break;
    case Pass::backward_input:
      status = cudnnGetConvolutionBackwardDataWorkspaceSize(handle, d.w.handle, d.y.handle, d.conv.handle, d.x.handle,
                                                            static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), &bytes);
      break;
    case Pass::backward_weight:
      status =
          cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, d.x.handle, d.y.handle, d.conv.handle, d.w.handle,
                                                         static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), &bytes);
      break;
  }
  if (not_supported(status)) return std::nullopt;
  check(status, "cudnnGetConvolution*WorkspaceSize", p);
  return bytes;
}

// Device pointers of x, w and y; the pass writes one of them (y, x or w) and reads the other two.
struct Operands {
  void* x;
  void* w;
  void* y;
};

// Enqueues the pass with the candidate: the written operand = 1 * result + 0 * itself.
cudnnStatus_t enqueue(cudnnHandle_t handle, const Descriptors& d, const Problem& p, const Candidate& c,
                      const Operands& o, void* workspace, size_t workspace_size) {
  // Scaling factors are double for f64 data and float otherwise.
  const double one_d = 1, zero_d = 0;
  const float one_f = 1, zero_f = 0;
  const bool f64 = p.data_type == CUDNN_DATA_DOUBLE;
  const void* one = f64 ? static_cast<const void*>(&one_d) : &one_f;
  const void* zero = f64 ? static_cast<const void*>(&zero_d) : &zero_f;
  switch (p.pass) {
    case Pass::forward:
      return cudnnConvolutionForward(handle, one, d.x.handle, o.x, d.w.handle, o.w, d.conv.handle,
                                     static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), workspace, workspace_size, zero,
                                     d.y.handle, o.y);
    case Pass::backward_input:
      return cudnnConvolutionBackwardData(handle, one, d.w.handle, o.w, d.y.handle, o.y, d.conv.handle,
                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), workspace, workspace_size,
                                          zero, d.x.handle, o.x);
    case Pass::backward_weight:
      return cudnnConvolutionBackwardFilter(handle, one, d.x.handle, o.x, d.y.handle, o.y, d.conv.handle,
                                            static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), workspace,
                                            workspace_size, zero, d.w.handle, o.w);
  }
  return CUDNN_STATUS_NOT_SUPPORTED;
}

struct DeviceHandle {
  std::mutex mutex;
  cudnnHandle_t handle = nullptr;  // never destroyed: at exit the CUDA context may already be gone
};

DeviceHandle& device_handle(int device) {
  static std::array<DeviceHandle, kMaxDevices> handles;
  return handles[static_cast<size_t>(device)];
}

// The usable candidates of a problem, ranked once and cached.
std::vector<Candidate> candidates_for(cudnnHandle_t handle, const Descriptors& d, const Problem& p) {
  static std::mutex mutex;
  static std::map<Problem, std::vector<Candidate>> cache;
  {
    std::lock_guard lock(mutex);
    if (const auto found = cache.find(p); found != cache.end()) return found->second;
  }
  std::vector<Candidate> ranked = d.supported ? rank_candidates(handle, d, p) : std::vector<Candidate>{};
  std::lock_guard lock(mutex);
  return cache.emplace(p, std::move(ranked)).first->second;
}

// Runs the problem with the first candidate that gets its workspace; false
// when none does. `operands` makes the inputs contiguous, once cuDNN is sure to be asked.
template <typename MakeOperands>
bool run(CudaBackend& backend, const Problem& p, MakeOperands&& operands) {
  const StreamHandle stream = backend.stream();  // also makes the device current for cudnnCreate
  DeviceHandle& device = device_handle(p.device);
  std::lock_guard lock(device.mutex);
  if (device.handle == nullptr) {
    cudnnHandle_t created = nullptr;  // kept only on success: a failed create may leave garbage behind
    check(cudnnCreate(&created), "cudnnCreate", p);
    device.handle = created;
  }
  const Descriptors d(p);
  const std::vector<Candidate> candidates = candidates_for(device.handle, d, p);
  if (candidates.empty()) return false;
  check(cudnnSetStream(device.handle, static_cast<cudaStream_t>(stream)), "cudnnSetStream", p);
  const Operands o = operands();
  for (const Candidate& c : candidates) {
    check(cudnnSetConvolutionMathType(d.conv.handle, c.math), "cudnnSetConvolutionMathType", p);
    const std::optional<size_t> bytes = workspace_bytes(device.handle, d, p, c);
    if (!bytes) continue;
    Tensor workspace;
    if (*bytes > 0) {
      try {
        workspace = backend.empty({static_cast<int64_t>(*bytes)}, DType::u8);
      } catch (const Error&) {
        continue;  // out of memory even after emptying the cache: try an algorithm that needs less
      }
    }
    const cudnnStatus_t status =
        enqueue(device.handle, d, p, c, o, workspace.defined() ? workspace.data_ptr() : nullptr, *bytes);
    if (not_supported(status) || status == CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER) continue;
    check(status, "cudnnConvolution*", p);
    return true;
  }
  return false;
}

}  // namespace

bool cudnn_conv2d(CudaBackend& backend, const Tensor& out, const Tensor& input, const Tensor& weight,
                  const ConvGeometry& geometry, int64_t groups) {
  if (!out.is_contiguous() || !aligned(out)) return false;
  const std::optional<Problem> p = describe(Pass::forward, backend.device().index, out.dtype(), input.sizes(),
                                            weight.sizes(), out.sizes(), geometry, groups);
  if (!p) return false;
  Tensor x, w;
  return run(backend, *p, [&] {
    x = aligned_contiguous(backend, input);
    w = aligned_contiguous(backend, weight);
    return Operands{x.data_ptr(), w.data_ptr(), out.data_ptr()};
  });
}

bool cudnn_conv2d_backward_input(CudaBackend& backend, const Tensor& grad_input, const Tensor& grad_out,
                                 const Tensor& weight, const ConvGeometry& geometry, int64_t groups) {
  if (!grad_input.is_contiguous() || !aligned(grad_input)) return false;
  const std::optional<Problem> p = describe(Pass::backward_input, backend.device().index, grad_input.dtype(),
                                            grad_input.sizes(), weight.sizes(), grad_out.sizes(), geometry, groups);
  if (!p) return false;
  Tensor w, dy;
  return run(backend, *p, [&] {
    w = aligned_contiguous(backend, weight);
    dy = aligned_contiguous(backend, grad_out);
    return Operands{grad_input.data_ptr(), w.data_ptr(), dy.data_ptr()};
  });
}

bool cudnn_conv2d_backward_weight(CudaBackend& backend, const Tensor& grad_weight, const Tensor& grad_out,
                                  const Tensor& input, const ConvGeometry& geometry, int64_t groups) {
  if (!grad_weight.is_contiguous() || !aligned(grad_weight)) return false;
  const std::optional<Problem> p = describe(Pass::backward_weight, backend.device().index, grad_weight.dtype(),
                                            input.sizes(), grad_weight.sizes(), grad_out.sizes(), geometry, groups);
  if (!p) return false;
  Tensor x, dy;
  return run(backend, *p, [&] {
    x = aligned_contiguous(backend, input);
    dy = aligned_contiguous(backend, grad_out);
    return Operands{x.data_ptr(), grad_weight.data_ptr(), dy.data_ptr()};
  });
}

MINI_CUDA_END_NAMESPACE
