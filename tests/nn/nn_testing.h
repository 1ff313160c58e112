#pragma once
// Helpers for the nn tests (on top of the autograd test helpers).
#include "../autograd/autograd_testing.h"
#include "nn/nn.h"
