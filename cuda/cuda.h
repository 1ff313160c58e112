#pragma once
// Public entry points of the CUDA backend.
//
// Two builds of the backend exist (see cuda/variant.h): the device backend,
// part of mini_engine when it is built with CUDA, and the emulated backend
// (library mini_cuda_emulated), which runs the same kernels on the CPU through
// the SIMT emulator so the backend is tested on machines without a GPU.
// Whichever is registered serves Device::cuda(i) through mini::backend_for.
namespace mini::cuda {

// Registers the device backend for DeviceType::cuda when a GPU is present;
// returns whether it did. mini_engine calls it while loading; a program linked
// against the static library must call it itself (nothing else references
// the backend's object files, so the linker would drop the automatic call).
bool register_device_backend();

// Registers the emulated backend for DeviceType::cuda (one device, cuda:0).
// Defined in mini_cuda_emulated; for tests and for developing kernels without a GPU.
void register_emulated_backend();

}  // namespace mini::cuda
