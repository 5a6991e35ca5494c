// Blobs a crash left without the index row that should name them: a module writes a blob (durable)
// and then commits the row that points at it, so a crash in between leaves a blob nobody can
// reach. A module that stores blobs so schedules this sweep over its own prefix.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "carehub/blob.hpp"
#include "carehub/clock.hpp"
#include "carehub/db.hpp"

namespace carehub {

struct SweepResult {
  std::int64_t checked = 0, removed = 0;
};

// Removes the blobs under prefix older than min_age_ms (a younger one may belong to an upload
// whose row is about to commit) for which indexed(tx, key) is false.
SweepResult sweep_orphan_blobs(BlobStore& blobs, Database& db, const Clock& clock,
                               const std::string& prefix, std::int64_t min_age_ms,
                               const std::function<bool(Tx&, const std::string&)>& indexed);

}  // namespace carehub
