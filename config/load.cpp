// The whole loading pipeline, in the order ARCHITECTURE.md section 5 fixes:
// interpolation runs after overrides so that `a.b=...` reaches every `${a.b}`.
#include "config/load.h"

namespace mini::config {

Node load_config(const std::string& path, const std::vector<std::string>& overrides) {
  Node root = load_file(path);
  apply_overrides(root, overrides);
  resolve_interpolations(root);
  return root;
}

}  // namespace mini::config
