// The `mini-engine` executable: everything lives in the library (runtime/cli)
// so the tests can drive the same commands.
#include "runtime/cli/commands.h"

int main(int argc, char** argv) { return mini::runtime::cli::run_cli(argc, argv); }
