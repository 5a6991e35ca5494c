#include "carehub/orphans.hpp"

#include "carehub/log.hpp"

namespace carehub {

SweepResult sweep_orphan_blobs(BlobStore& blobs, Database& db, const Clock& clock,
                               const std::string& prefix, std::int64_t min_age_ms,
                               const std::function<bool(Tx&, const std::string&)>& indexed) {
  const std::int64_t cutoff = clock.now_ms() - min_age_ms;
  SweepResult out;
  for (const auto& blob : blobs.list(prefix)) {
    if (blob.modified_ms > cutoff) continue;
    ++out.checked;
    const bool named = db.transact([&](Tx& tx) { return indexed(tx, blob.key); }, TxMode::kRead);
    if (!named && blobs.remove(blob.key)) ++out.removed;
  }
  if (out.removed > 0)
    log_info("orphan_blobs_removed", {{"prefix", prefix}, {"blobs", out.removed}});
  return out;
}

}  // namespace carehub
