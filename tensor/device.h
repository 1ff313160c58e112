#pragma once
// Where a tensor's memory lives: the CPU, or a CUDA device by index.
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace mini {

enum class DeviceType : uint8_t { cpu, cuda };

struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;

  static constexpr Device cpu() { return {DeviceType::cpu, 0}; }
  static constexpr Device cuda(int index = 0) { return {DeviceType::cuda, index}; }
  bool is_cpu() const { return type == DeviceType::cpu; }
  bool is_cuda() const { return type == DeviceType::cuda; }
  friend bool operator==(const Device&, const Device&) = default;

  // "cpu", "cuda:0"
  std::string str() const { return type == DeviceType::cpu ? "cpu" : fmt::format("cuda:{}", index); }
  // Parses "cpu", "cuda", "cuda:1"; throws mini::ValueError otherwise.
  static Device parse(const std::string& text);
};

}  // namespace mini

template <>
struct fmt::formatter<mini::Device> : fmt::formatter<std::string> {
  auto format(const mini::Device& device, format_context& ctx) const {
    return fmt::formatter<std::string>::format(device.str(), ctx);
  }
};
