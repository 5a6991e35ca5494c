// The module list: every module carehub loads, named explicitly (no self-registration).
#pragma once

#include <memory>
#include <vector>

#include "carehub/module.hpp"

namespace carehub {

std::vector<std::unique_ptr<Module>> make_modules();

}  // namespace carehub
