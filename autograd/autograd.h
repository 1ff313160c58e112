#pragma once
// The differentiable API: include this one header.
//
//   Tensor w = mini::randn({3, 4}).requires_grad_();
//   Tensor loss = mini::relu(mini::matmul(x, w)).sum();
//   loss.backward();            // w.grad() now holds d loss / d w
//
// Every op of mini::ops has a mini:: twin with the same name and arguments
// that records the backward when grad mode is on; factories and other
// non-differentiable ops are re-exported unchanged.
#include "autograd/autocast.h"
#include "autograd/checkpoint.h"
#include "autograd/engine.h"
#include "autograd/function.h"
#include "autograd/functions/cross_entropy.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/index.h"
#include "autograd/functions/linalg.h"
#include "autograd/functions/nn.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/view.h"
#include "autograd/gradcheck.h"
#include "autograd/grad_mode.h"
#include "autograd/hooks.h"
#include "autograd/node.h"
#include "tensor/ops/ops.h"

namespace mini {

// Factories (no history; call requires_grad_() on parameters).
using ops::arange;
using ops::bernoulli;
using ops::empty;
using ops::empty_like;
using ops::eye;
using ops::from_blob;
using ops::from_vector;
using ops::full;
using ops::full_like;
using ops::linspace;
using ops::normal;
using ops::ones;
using ops::ones_like;
using ops::rand;
using ops::randint;
using ops::randn;
using ops::randperm;
using ops::scalar_tensor;
using ops::zeros;
using ops::zeros_like;

}  // namespace mini
