// A configuration file as `carehub serve` and `carehub config check` read it: load_config with the
// schema the binary builds (the core's sections and every module's), each module's check_config,
// the typed views the server takes (server, database, blob, jobs, log level) and the redacted
// print. ConfigError, with the key's path, is the one expected refusal. The file is a memory file,
// so nothing is added to the loader's API for the fuzzer.
//
// A "<key>_file" secret names a file the loader reads; an input naming /dev/zero or a FIFO would
// hang the loader as it would hang carehub: the operator's file is trusted to that extent.
#include <cstdint>
#include <string>

#include "carehub/config.hpp"
#include "cli/runtime.hpp"
#include "fuzz_support.hpp"
#include "modules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const carehub::ModuleList& modules = *new carehub::ModuleList(carehub::make_modules());
  const carehub::fuzz::MemFile file(data, size);
  try {
    const auto loaded = carehub::load_config(file.path(), modules);
    const carehub::Config& config = loaded->config;
    for (const auto& m : modules) m->check_config(config);
    (void)config.server();
    (void)config.database();
    (void)config.blob();
    (void)config.jobs();
    (void)config.log_level();
    (void)config.redacted().dump(2);
  } catch (const carehub::ConfigError&) {
  }
  return 0;
}
