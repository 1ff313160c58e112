// Tensor::str(): PyTorch's repr (torch/_tensor_str.py) with its default
// print options: precision 4, summarize above 1000 elements with 3 edge
// items per dim, lines of 80 characters. One formatter, fitted to the
// elements that will be printed, decides the style for the whole tensor:
// integers without decimals, floats that are all whole numbers as "3.",
// fixed "1.2500", or scientific "1.2500e+05" when the magnitudes span more
// than 1000x or leave [1e-4, 1e8].
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tensor/ops/copy.h"
#include "tensor/tensor.h"

namespace mini {
namespace {

constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 80;

// The tensor's values on the host: doubles for floating types (exact), int64
// for integers and bool, row-major.
struct HostValues {
  Tensor tensor;  // contiguous, f64 or i64
  bool floating = false;
  bool boolean = false;
  double floating_at(int64_t i) const { return tensor.data<double>()[i]; }
  int64_t integer_at(int64_t i) const { return tensor.data<int64_t>()[i]; }
};

// Visits the flat positions that printing shows: all of them, or with
// summarize only the first and last kEdgeItems along every dim longer than 2 * kEdgeItems.
template <typename Visit>
void visit_shown(const Shape& sizes, const Shape& strides, bool summarize, int64_t dim, int64_t offset, Visit& visit) {
  if (dim == static_cast<int64_t>(sizes.size())) {
    visit(offset);
    return;
  }
  const int64_t size = sizes[dim];
  for (int64_t i = 0; i < size; ++i) {
    if (summarize && size > 2 * kEdgeItems && i == kEdgeItems) i = size - kEdgeItems;
    visit_shown(sizes, strides, summarize, dim + 1, offset + i * strides[dim], visit);
  }
}

class Formatter {
 public:
  Formatter(const HostValues& values, bool summarize) : values_(values) {
    const Tensor& t = values.tensor;
    if (!values.floating) {
      auto measure = [&](int64_t i) { width_ = std::max(width_, static_cast<int>(integer_text(i).size())); };
      visit_shown(t.sizes(), t.strides(), summarize, 0, 0, measure);
      return;
    }
    // Only finite non-zero values decide the style.
    std::vector<double> finite;
    auto collect = [&](int64_t i) {
      const double v = values.floating_at(i);
      if (std::isfinite(v) && v != 0) finite.push_back(v);
    };
    visit_shown(t.sizes(), t.strides(), summarize, 0, 0, collect);
    if (finite.empty()) return;
    double min_abs = std::abs(finite[0]), max_abs = min_abs;
    for (double v : finite) {
      min_abs = std::min(min_abs, std::abs(v));
      max_abs = std::max(max_abs, std::abs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    if (int_mode_) {
      sci_mode_ = max_abs / min_abs > 1000.0 || max_abs > 1.0e8;
    } else {
      sci_mode_ = max_abs / min_abs > 1000.0 || max_abs > 1.0e8 || min_abs < 1.0e-4;
    }
    for (double v : finite) {
      // In int mode a "." follows each number, hence the + 1.
      const int length = sci_mode_   ? static_cast<int>(fmt::format("{:.{}e}", v, kPrecision).size())
                         : int_mode_ ? static_cast<int>(fmt::format("{:.0f}", v).size()) + 1
                                     : static_cast<int>(fmt::format("{:.{}f}", v, kPrecision).size());
      width_ = std::max(width_, length);
    }
  }

  int width() const { return width_; }

  // The element at flat position i, right-aligned to width().
  std::string format(int64_t i) const {
    std::string text;
    if (!values_.floating) {
      text = integer_text(i);
    } else {
      const double v = values_.floating_at(i);
      if (std::isnan(v)) {
        text = "nan";  // Python prints NaN without a sign
      } else if (sci_mode_) {
        text = fmt::format("{:.{}e}", v, kPrecision);
      } else if (int_mode_) {
        text = fmt::format("{:.0f}", v);
        if (std::isfinite(v)) text += ".";
      } else {
        text = fmt::format("{:.{}f}", v, kPrecision);
      }
    }
    if (static_cast<int>(text.size()) < width_) text.insert(0, static_cast<size_t>(width_) - text.size(), ' ');
    return text;
  }

 private:
  std::string integer_text(int64_t i) const {
    const int64_t v = values_.integer_at(i);
    if (values_.boolean) return v != 0 ? "True" : "False";
    return fmt::format("{}", v);
  }

  const HostValues& values_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  int width_ = 1;
};

// One dim of the nested list, as _tensor_str_with_formatter: rows of a
// vector wrap at the line width; deeper dims separate their slices by
// (rank - 1) newlines.
void append_nested(std::string& out, const Formatter& formatter, const Shape& sizes, const Shape& strides,
                   bool summarize, int64_t dim, int64_t offset, int64_t indent) {
  const auto rank = static_cast<int64_t>(sizes.size());
  const int64_t size = sizes[dim];
  const bool elide = summarize && size > 2 * kEdgeItems;
  out += '[';
  if (dim == rank - 1) {
    const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / (formatter.width() + 2));
    int64_t on_line = 0;
    for (int64_t i = 0; i < size; ++i) {
      std::string item;
      if (elide && i == kEdgeItems) {
        item = " ...";
        i = size - kEdgeItems - 1;
      } else {
        item = formatter.format(offset + i * strides[dim]);
      }
      if (on_line == per_line) {
        out += ",\n" + std::string(static_cast<size_t>(indent + 1), ' ');
        on_line = 0;
      } else if (on_line > 0) {
        out += ", ";
      }
      out += item;
      ++on_line;
    }
  } else {
    const std::string separator = "," + std::string(static_cast<size_t>(rank - 1 - dim), '\n') +
                                  std::string(static_cast<size_t>(indent + 1), ' ');
    for (int64_t i = 0; i < size; ++i) {
      if (i > 0) out += separator;
      if (elide && i == kEdgeItems) {
        out += "...";
        i = size - kEdgeItems - 1;
        continue;
      }
      append_nested(out, formatter, sizes, strides, summarize, dim + 1, offset + i * strides[dim], indent + 1);
    }
  }
  out += ']';
}

// Appends ", suffix" to the text, or starts a new line when it would pass the line width.
std::string add_suffixes(std::string text, const std::vector<std::string>& suffixes, int64_t indent) {
  // NOTE: PyTorch counts len(text) - text.rfind("\n") + 1, which is len + 2
  // for a single line; kept so line breaks fall where PyTorch puts them.
  const size_t last_newline = text.rfind('\n');
  auto last_line_length =
      static_cast<int64_t>(last_newline == std::string::npos ? text.size() + 2 : text.size() - last_newline + 1);
  for (const std::string& suffix : suffixes) {
    const auto length = static_cast<int64_t>(suffix.size());
    if (last_line_length + length + 2 > kLineWidth) {
      text += ",\n" + std::string(static_cast<size_t>(indent), ' ') + suffix;
      last_line_length = indent + length;
    } else {
      text += ", " + suffix;
      last_line_length += length + 2;
    }
  }
  return text + ")";
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  const auto indent = static_cast<int64_t>(prefix.size());
  std::vector<std::string> suffixes;
  if (!device().is_cpu()) suffixes.push_back(fmt::format("device='{}'", device().str()));

  if (numel() == 0) {
    // No values show the dtype, so it is printed unless it is the default.
    if (dim() != 1) suffixes.push_back("size=" + shape_str(sizes()));
    if (dtype() != DType::f32) suffixes.push_back(fmt::format("dtype={}", dtype()));
    return add_suffixes(prefix + "[]", suffixes, indent);
  }
  if (dtype() != DType::f32 && dtype() != DType::i64 && dtype() != DType::b8) {
    suffixes.push_back(fmt::format("dtype={}", dtype()));
  }

  HostValues values;
  values.floating = is_floating(dtype());
  values.boolean = dtype() == DType::b8;
  const Tensor host = ops::to_device(*this, Device::cpu());
  values.tensor = ops::contiguous(ops::to_dtype(host, values.floating ? DType::f64 : DType::i64));

  const bool summarize = numel() > kThreshold;
  const Formatter formatter(values, summarize);
  std::string body;
  if (dim() == 0) {
    body = formatter.format(0);
  } else {
    append_nested(body, formatter, values.tensor.sizes(), values.tensor.strides(), summarize, 0, 0, indent);
  }
  return add_suffixes(prefix + body, suffixes, indent);
}

}  // namespace mini
