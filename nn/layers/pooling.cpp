#include "nn/layers/pooling.h"

#include "autograd/autograd.h"

namespace mini::nn {

namespace {

std::string pool_repr(const ops::Pool2dOptions& o) {
  return fmt::format("kernel_size=({}, {}), stride=({}, {}), padding=({}, {}), ceil_mode={}", o.kernel.first,
                     o.kernel.second, o.stride.first, o.stride.second, o.padding.first, o.padding.second, o.ceil_mode);
}

}  // namespace

Tensor MaxPool2d::forward(const Tensor& x) { return mini::max_pool2d(x, options_); }
std::string MaxPool2d::extra_repr() const { return pool_repr(options_); }

Tensor AvgPool2d::forward(const Tensor& x) { return mini::avg_pool2d(x, options_); }
std::string AvgPool2d::extra_repr() const { return pool_repr(options_); }

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return mini::adaptive_avg_pool2d(x, output_size_); }
std::string AdaptiveAvgPool2d::extra_repr() const {
  return fmt::format("output_size=({}, {})", output_size_.first, output_size_.second);
}

}  // namespace mini::nn
