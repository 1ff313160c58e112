#pragma once
// Which build of the CUDA backend a translation unit belongs to.
//
// NOTE [ two variants in one binary ]: the backend is compiled twice from the
// same sources: the emulated variant (g++ only, kernels run on the SIMT
// emulator; MINI_CUDA_EMULATED is defined) and the device variant (kernels
// compiled by nvcc, launched on a real GPU). A test binary links both (the
// device variant lives in mini_engine when CUDA is found, the emulated one in
// mini_cuda_emulated), so every symbol of cuda/ except the emulator itself sits
// in an inline namespace named after the variant: the same kernel template or
// class compiled twice gets two mangled names and the linker never merges an
// emulated function with a GPU one.
#if defined(MINI_CUDA_EMULATED)
#define MINI_CUDA_VARIANT emulated
#else
#define MINI_CUDA_VARIANT device
#endif

#define MINI_CUDA_BEGIN_NAMESPACE \
  namespace mini::cuda {          \
  inline namespace MINI_CUDA_VARIANT {
#define MINI_CUDA_END_NAMESPACE \
  }                             \
  }
