#pragma once
// Host functions that launch the kernels of cuda/kernels/*.cuh: the boundary
// between code compiled by nvcc (or, in the emulated build, by g++ against
// the SIMT emulator) and the backend class (g++ only, free to use Tensor and
// fmt). Plain arguments only: raw device pointers, sizes, small POD geometry
// structs; `stream` is the cudaStream_t / emu::Stream as a void*.
//
// Launchers validate nothing the backend already checked; they pick the
// launch geometry and the kernel instantiation for the dtype, and throw
// mini::Error (through emu::throw_host_error) only for launch failures.
#include <stddef.h>
#include <stdint.h>

#include "cuda/kernels/params.h"

MINI_CUDA_BEGIN_NAMESPACE

using StreamHandle = void*;

// ---- elementwise.cu ----------------------------------------------------
void launch_copy(ScalarKind to, ScalarKind from, const Strided<2>& g, void* dst, const void* src, StreamHandle stream);
// value_bits: the element's bytes (element_size of them) in the low bytes.
void launch_fill(size_t element_size, const Strided<1>& g, void* dst, uint64_t value_bits, StreamHandle stream);
void launch_arange(ScalarKind kind, void* dst, int64_t stride, int64_t n, double start, double step,
                   StreamHandle stream);
void launch_unary(ScalarKind kind, const UnaryArgs& args, const Strided<2>& g, void* dst, const void* src,
                  StreamHandle stream);
void launch_logical_not(ScalarKind src_kind, const Strided<2>& g, void* dst, const void* src, StreamHandle stream);
// divided_by_zero: a device int set to 1 by an integer remainder by zero.
void launch_binary(ScalarKind kind, BinaryCode op, const Strided<3>& g, void* dst, const void* a, const void* b,
                   int* divided_by_zero, StreamHandle stream);
void launch_compare(ScalarKind kind, BinaryCode op, const Strided<3>& g, void* dst, const void* a, const void* b,
                    StreamHandle stream);
void launch_where(size_t element_size, const Strided<4>& g, void* dst, const void* cond, const void* a, const void* b,
                  StreamHandle stream);

// ---- reduce.cu ---------------------------------------------------------
struct ReducePlan {
  bool thread_per_output;
  int64_t splits;  // > 1: partial accumulators in a workspace, folded by a second kernel
  size_t workspace_bytes;
};
ReducePlan plan_reduce(ScalarKind kind, ReduceCode op, const ReduceGeometry& g);
void launch_reduce(ScalarKind kind, ReduceCode op, const ReduceGeometry& g, const ReducePlan& plan, void* dst,
                   const void* src, void* workspace, StreamHandle stream);
// kept: (src, values, indices) strides over the kept dims.
void launch_arg_reduce(ScalarKind kind, bool argmax, const Strided<3>& kept, int64_t length, int64_t step, void* values,
                       int64_t* indices, const void* src, StreamHandle stream);

// ---- matmul.cu ---------------------------------------------------------
void launch_matmul(ScalarKind kind, const MatmulGeometry& g, void* c, const void* a, const void* b,
                   StreamHandle stream);

// ---- conv.cu -----------------------------------------------------------
void launch_im2col(ScalarKind kind, const ConvShape& shape, void* columns, const void* input, uint64_t pad_bits,
                   StreamHandle stream);
void launch_col2im(ScalarKind kind, const ConvShape& shape, void* input_grad, const void* columns, StreamHandle stream);

// ---- index.cu ----------------------------------------------------------
void launch_index_select(size_t element_size, const IndexGeometry& g, int64_t index_stride, void* dst, const void* src,
                         const int64_t* index, StreamHandle stream);
void launch_index_add(ScalarKind kind, const IndexGeometry& g, int64_t index_stride, void* dst, const void* src,
                      const int64_t* index, StreamHandle stream);
void launch_gather(size_t element_size, const IndexGeometry& g, void* dst, const void* src, const int64_t* index,
                   StreamHandle stream);
void launch_scatter(ScalarKind kind, bool add, const IndexGeometry& g, void* dst, const void* src, const int64_t* index,
                    StreamHandle stream);
int64_t nonzero_chunk_count(int64_t numel);
void launch_nonzero_count(const bool* mask, int64_t numel, int64_t* chunk_counts, StreamHandle stream);
void launch_nonzero_write(const bool* mask, int64_t numel, const int64_t* chunk_offsets, const Unravel& shape,
                          int64_t* rows, StreamHandle stream);

// ---- random.cu ---------------------------------------------------------
void launch_random_uniform(ScalarKind kind, const Strided<1>& g, void* dst, uint64_t seed, uint64_t offset, double low,
                           double high, StreamHandle stream);
void launch_random_normal(ScalarKind kind, const Strided<1>& g, void* dst, uint64_t seed, uint64_t offset, double mean,
                          double std, StreamHandle stream);

// ---- softmax.cu --------------------------------------------------------
// Contiguous (outer, n, inner) operands; the softmax runs over n.
void launch_softmax(ScalarKind kind, void* dst, const void* src, int64_t outer, int64_t n, int64_t inner, bool log,
                    StreamHandle stream);
void launch_softmax_backward(ScalarKind kind, void* grad_input, const void* grad_output, const void* output,
                             int64_t outer, int64_t n, int64_t inner, bool log, StreamHandle stream);

// ---- layer_norm.cu -----------------------------------------------------
// Contiguous x/out (rows, cols); weight/bias may be null; mean/rstd are compute_t with strides.
void launch_layer_norm(ScalarKind kind, const void* x, const void* weight, const void* bias, void* out, void* mean,
                       int64_t mean_stride, void* rstd, int64_t rstd_stride, int64_t rows, int64_t cols, double eps,
                       StreamHandle stream);
void launch_layer_norm_backward(ScalarKind kind, const void* grad_out, const void* x, const void* mean,
                                int64_t mean_stride, const void* rstd, int64_t rstd_stride, const void* weight,
                                void* grad_x, void* grad_weight, void* grad_bias, int64_t rows, int64_t cols,
                                StreamHandle stream);

// ---- optimizer.cu ------------------------------------------------------
// One fused step over every element; g holds each operand's strides (an absent
// state tensor takes the param's). flat: all operands contiguous.
void launch_sgd_step(ScalarKind kind, const SgdArgs& args, const Strided<3>& g, bool flat, void* param,
                     const void* grad, void* momentum_buffer, StreamHandle stream);
void launch_adam_step(ScalarKind kind, const AdamArgs& args, const Strided<5>& g, bool flat, void* param,
                      const void* grad, void* exp_avg, void* exp_avg_sq, void* max_exp_avg_sq, StreamHandle stream);

// ---- pool.cu -----------------------------------------------------------
// values / indices contiguous (N, C, oh, ow); shape.in_h / in_w are the input's
// own H and W (ceil_mode's overhang lies beyond them).
void launch_max_pool2d(ScalarKind kind, const ConvShape& shape, void* values, int64_t* indices, const void* input,
                       StreamHandle stream);
// Adds grad_out (walked by g: (grad_out, indices) strides over (N, C, oh, ow))
// into a zeroed contiguous (N*C, plane_size) buffer at the indices; the buffer is
// grad_input itself for f32/f64 and a float32 one for f16/bf16 (summed in float
// and rounded once, as on the CPU). Indices outside the plane are skipped.
void launch_max_pool2d_backward(ScalarKind kind, const Strided<2>& g, int64_t positions, int64_t plane_size,
                                void* grad_sums, const void* grad_out, const int64_t* indices, StreamHandle stream);

// ---- cross_entropy.cu --------------------------------------------------
// Contiguous logits / grad_logits (rows, classes), target (rows), weight
// (classes) or null, loss (rows); grad_logits may be null. A target outside
// [0, classes) that is not ignore_index is written to *bad_target (set to
// ignore_index by the caller) and its row gets zeros.
void launch_cross_entropy(ScalarKind kind, const void* logits, const int64_t* target, const void* weight, void* loss,
                          void* grad_logits, int64_t rows, int64_t classes, int64_t ignore_index,
                          double label_smoothing, int64_t* bad_target, StreamHandle stream);

MINI_CUDA_END_NAMESPACE
