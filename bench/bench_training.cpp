// One optimizer step of whole models: forward, cross-entropy, backward, SGD.
// BM_MlpTrainStep is examples/fashion_mnist_mlp.yaml's step without data
// loading (784-512-256-10, ReLU, batch 128, SGD momentum 0.9, lr 0.05); its
// time per iteration is directly comparable with the ms/step of
// ../shared/baselines/py/train_fmnist.py mlp (part 1 leaves out the optimizer
// step, part 2 runs the forward alone). BM_MlpOptimizerStep times the
// optimizer alone. BM_TransformerTrainStep is a small post-norm encoder
// block with a classifier head under AdamW.
// Reported `flops` counts the GEMMs only (2 per multiply-add).
#include <benchmark/benchmark.h>

#include "autograd/autograd.h"
#include "nn/nn.h"

namespace {

using mini::Tensor;
namespace nn = mini::nn;

void BM_MlpTrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0);
  mini::manual_seed(0);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(784, 512), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(512, 256),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(256, 10)});
  nn::optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  const Tensor images = mini::rand({batch, 784});
  const Tensor labels = mini::randint(0, 10, {batch});
  // part 0: the whole step; 1: without the optimizer step; 2: forward only, without grad.
  const int64_t part = state.range(1);
  state.SetLabel(part == 0 ? "step" : part == 1 ? "forward+backward" : "forward (no grad)");
  for (auto _ : state) {
    if (part == 2) {
      const mini::NoGradGuard no_grad;
      benchmark::DoNotOptimize(nn::cross_entropy((*model)(images), labels).data_ptr());
      continue;
    }
    const Tensor loss = nn::cross_entropy((*model)(images), labels);
    loss.backward();
    if (part == 0) optimizer.step();
    optimizer.zero_grad();
  }
  // Forward of all layers, weight grads of all layers, input grads of layers 2 and 3.
  const double forward_macs = static_cast<double>(batch) * (784 * 512 + 512 * 256 + 256 * 10);
  const double macs = part == 2 ? forward_macs : 2 * forward_macs + static_cast<double>(batch) * (512 * 256 + 256 * 10);
  state.counters["flops"] = benchmark::Counter(2.0 * macs, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpTrainStep)
    ->Args({128, 0})
    ->Args({128, 1})
    ->Args({128, 2})
    ->ArgNames({"batch", "part"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The optimizer step alone on the MLP's parameters (gradients fixed): SGD
// with momentum or AdamW, one fused pass per parameter. bytes_per_second
// counts the parameter, gradient and state reads and writes.
void BM_MlpOptimizerStep(benchmark::State& state) {
  const bool adam = state.range(0) != 0;
  mini::manual_seed(0);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(784, 512), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(512, 256),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(256, 10)});
  int64_t count = 0;
  for (const Tensor& p : model->parameters()) {
    p.set_grad(mini::randn(p.sizes()));
    count += p.numel();
  }
  std::unique_ptr<nn::optim::Optimizer> optimizer;
  if (adam) {
    optimizer = std::make_unique<nn::optim::AdamW>(model->parameters(), nn::optim::AdamWOptions{.lr = 1e-3});
  } else {
    optimizer =
        std::make_unique<nn::optim::SGD>(model->parameters(), nn::optim::SGDOptions{.lr = 0.05, .momentum = 0.9});
  }
  for (auto _ : state) optimizer->step();
  state.SetLabel(adam ? "adamw" : "sgd_momentum");
  // SGD: read p, g, buf, write p, buf; AdamW: read p, g, m, v, write p, m, v.
  const double bytes = static_cast<double>(count) * 4.0 * (adam ? 7.0 : 5.0);
  state.counters["bytes_per_second"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpOptimizerStep)->Arg(0)->Arg(1)->ArgName("adam")->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_TransformerTrainStep(benchmark::State& state) {
  const int64_t batch = 8, length = 64, d_model = 128, classes = 10;
  mini::manual_seed(0);
  auto encoder = std::make_shared<nn::TransformerEncoderLayer>(
      nn::TransformerEncoderLayerOptions{.d_model = d_model, .nhead = 4, .dim_feedforward = 512, .dropout = 0.0});
  auto head = std::make_shared<nn::Linear>(d_model, classes);
  std::vector<Tensor> params = encoder->parameters();
  for (const Tensor& p : head->parameters()) params.push_back(p);
  nn::optim::AdamW optimizer(params, {.lr = 1e-3});
  const Tensor tokens = mini::randn({batch, length, d_model});
  const Tensor labels = mini::randint(0, classes, {batch * length});
  for (auto _ : state) {
    const Tensor logits = (*head)((*encoder)(tokens));
    const Tensor loss = nn::cross_entropy(mini::reshape(logits, {batch * length, classes}), labels);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
  }
}
BENCHMARK(BM_TransformerTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
