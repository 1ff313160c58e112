#include "nn/layers/conv.h"

#include "autograd/autograd.h"
#include "nn/init.h"

namespace mini::nn {

namespace {

void check_channels(const char* layer, int64_t in_channels, int64_t out_channels, int64_t groups) {
  MINI_CHECK(
      groups > 0 && in_channels > 0 && out_channels > 0 && in_channels % groups == 0 && out_channels % groups == 0,
      "{}: in_channels={} and out_channels={} must be positive and divisible by groups={}", layer, in_channels,
      out_channels, groups);
}

}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, std::pair<int64_t, int64_t> kernel_size,
               Conv2dOptions options)
    : Module("Conv2d"),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  check_channels("Conv2d", in_channels, out_channels, options.groups);
  weight_ = register_parameter(
      "weight",
      ops::empty({out_channels, in_channels / options.groups, kernel_size.first, kernel_size.second}, options.tensor));
  if (options.bias) bias_ = register_parameter("bias", ops::empty({out_channels}, options.tensor));
  init::default_linear_init_(weight_, bias_);
}

Tensor Conv2d::forward(const Tensor& x) {
  return mini::conv2d(x, weight_, bias_,
                      ops::Conv2dOptions{.stride = options_.stride,
                                         .padding = options_.padding,
                                         .dilation = options_.dilation,
                                         .groups = options_.groups});
}

std::string Conv2d::extra_repr() const {
  return fmt::format(
      "{}, {}, kernel_size=({}, {}), stride=({}, {}), padding=({}, {}), dilation=({}, {}), groups={}, "
      "bias={}",
      in_channels_, out_channels_, kernel_size_.first, kernel_size_.second, options_.stride.first,
      options_.stride.second, options_.padding.first, options_.padding.second, options_.dilation.first,
      options_.dilation.second, options_.groups, bias_.defined());
}

Conv1d::Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Conv1dOptions options)
    : Module("Conv1d"),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  check_channels("Conv1d", in_channels, out_channels, options.groups);
  weight_ = register_parameter("weight",
                               ops::empty({out_channels, in_channels / options.groups, kernel_size}, options.tensor));
  if (options.bias) bias_ = register_parameter("bias", ops::empty({out_channels}, options.tensor));
  init::default_linear_init_(weight_, bias_);
}

Tensor Conv1d::forward(const Tensor& x) {
  return mini::conv1d(x, weight_, bias_, options_.stride, options_.padding, options_.dilation, options_.groups);
}

std::string Conv1d::extra_repr() const {
  return fmt::format("{}, {}, kernel_size={}, stride={}, padding={}, dilation={}, groups={}, bias={}", in_channels_,
                     out_channels_, kernel_size_, options_.stride, options_.padding, options_.dilation, options_.groups,
                     bias_.defined());
}

}  // namespace mini::nn
