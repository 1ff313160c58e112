// cuBLAS GEMM for CudaBackend::matmul on a GPU (see cublas_matmul.h).
//
// cuBLAS is column-major. A row-major (rows, cols) matrix with row stride ld
// is, read column-major, its transpose with leading dimension ld. So for
// row-major c = a @ b we ask cuBLAS for the column-major c^T = b^T @ a^T:
// b is the first operand, a the second, and each is "not transposed" when its
// rows are contiguous, "transposed" when its columns are.
#include "cuda/backend/cublas_matmul.h"

#include <cublas_v2.h>

#include <array>
#include <climits>
#include <mutex>

#include "cuda/backend/library_switches.h"
#include "cuda/runtime/stream.h"
#include "tensor/error.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

void check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw Error(fmt::format("cuda matmul: {} failed: {}", call, cublasGetStatusString(status)));
  }
}

// One handle per device. A handle holds one stream at a time, so a call
// (set stream + GEMM) owns it under the device's lock: two host threads
// queueing GEMMs on different streams must not swap each other's stream.
struct DeviceHandle {
  std::mutex mutex;
  cublasHandle_t handle = nullptr;
};

DeviceHandle& handle_for(int device) {
  static std::array<DeviceHandle, kMaxDevices> handles;
  return handles[static_cast<size_t>(device)];
}

// How a row-major (rows, cols) matrix with the given strides enters cuBLAS.
struct Operand {
  cublasOperation_t op;
  int64_t ld;
};

bool describe(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride, Operand* out) {
  // A dim of size 1 may have any stride: treat it as the packed value.
  if (cols == 1) col_stride = 1;
  if (rows == 1) row_stride = cols;
  if (col_stride == 1 && row_stride >= cols) {
    *out = {CUBLAS_OP_N, row_stride};
    return true;
  }
  if (row_stride == 1 && col_stride >= rows) {
    *out = {CUBLAS_OP_T, col_stride};
    return true;
  }
  return false;
}

bool fits_int(int64_t value) { return value >= 0 && value <= INT_MAX; }

}  // namespace

bool cublas_matmul(int device, ScalarKind kind, const MatmulGeometry& g, void* c, const void* a, const void* b,
                   StreamHandle stream) {
  if (!cublas_enabled()) return false;
  cudaDataType_t data_type;
  cublasComputeType_t compute;
  switch (kind) {
    case ScalarKind::f32:
      data_type = CUDA_R_32F;
      compute = tf32_allowed() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
      break;
    case ScalarKind::f64:
      data_type = CUDA_R_64F;
      compute = CUBLAS_COMPUTE_64F;
      break;
    case ScalarKind::f16:
      data_type = CUDA_R_16F;
      compute = CUBLAS_COMPUTE_32F;
      break;
    case ScalarKind::bf16:
      data_type = CUDA_R_16BF;
      compute = CUBLAS_COMPUTE_32F;
      break;
    default:
      return false;
  }
  if (g.batch.rank > 1 || g.k == 0) return false;
  if (!fits_int(g.m) || !fits_int(g.n) || !fits_int(g.k) || !fits_int(g.batch.numel)) return false;
  // c must be row-major: the column-major result c^T is then c's memory.
  const int64_t c_row = g.m == 1 ? g.n : g.c_row;
  if (!(g.n == 1 || g.c_col == 1) || c_row < g.n) return false;
  Operand first, second;  // b^T and a^T in column-major terms
  if (!describe(g.k, g.n, g.b_row, g.b_col, &first) || !describe(g.m, g.k, g.a_row, g.a_col, &second)) return false;
  if (!fits_int(first.ld) || !fits_int(second.ld) || !fits_int(c_row)) return false;
  const int64_t c_batch = g.batch.strides[0][0], a_batch = g.batch.strides[1][0], b_batch = g.batch.strides[2][0];
  if (g.batch.numel > 1 && c_batch == 0) return false;  // every entry must write its own c

  DeviceHandle& device_handle = handle_for(device);
  std::lock_guard lock(device_handle.mutex);
  if (device_handle.handle == nullptr) {
    cublasHandle_t created = nullptr;  // kept only on success: a failed create may leave garbage behind
    check(cublasCreate(&created), "cublasCreate");
    // By default cuBLAS may add split-K partial sums of f16/bf16 GEMMs in the
    // 16-bit output type; keep every reduction in f32, as cublas_matmul.h promises.
    check(cublasSetMathMode(created, CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION), "cublasSetMathMode");
    device_handle.handle = created;
  }
  const cublasHandle_t handle = device_handle.handle;
  check(cublasSetStream(handle, static_cast<cudaStream_t>(stream)), "cublasSetStream");
  const float one_f = 1, zero_f = 0;
  const double one_d = 1, zero_d = 0;
  const void* alpha = compute == CUBLAS_COMPUTE_64F ? static_cast<const void*>(&one_d) : &one_f;
  const void* beta = compute == CUBLAS_COMPUTE_64F ? static_cast<const void*>(&zero_d) : &zero_f;
  check(cublasGemmStridedBatchedEx(
            handle, first.op, second.op, static_cast<int>(g.n), static_cast<int>(g.m), static_cast<int>(g.k), alpha, b,
            data_type, static_cast<int>(first.ld), b_batch, a, data_type, static_cast<int>(second.ld), a_batch, beta, c,
            data_type, static_cast<int>(c_row), c_batch, static_cast<int>(g.batch.numel), compute, CUBLAS_GEMM_DEFAULT),
        "cublasGemmStridedBatchedEx");
  return true;
}

MINI_CUDA_END_NAMESPACE
