#pragma once
// A fixture that runs a test once per emulator run order. A correct kernel
// must give the same result under every order; see cuda/emu/run_order.h.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cuda/emu/run_order.h"

namespace mini::cuda::testing {

class EveryRunOrder : public ::testing::TestWithParam<emu::RunOrder> {
 protected:
  void SetUp() override { order_ = std::make_unique<emu::ScopedRunOrder>(GetParam()); }
  void TearDown() override { order_.reset(); }

 private:
  std::unique_ptr<emu::ScopedRunOrder> order_;
};

inline std::string run_order_name(const ::testing::TestParamInfo<emu::RunOrder>& info) {
  return std::string(emu::to_string(info.param));
}

}  // namespace mini::cuda::testing

#define MINI_INSTANTIATE_FOR_EVERY_RUN_ORDER(Suite)                                                 \
  INSTANTIATE_TEST_SUITE_P(                                                                         \
      RunOrders, Suite,                                                                             \
      ::testing::Values(::mini::cuda::emu::RunOrder::forward, ::mini::cuda::emu::RunOrder::reverse, \
                        ::mini::cuda::emu::RunOrder::random),                                       \
      ::mini::cuda::testing::run_order_name)
