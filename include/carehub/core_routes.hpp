// The core's own routes: liveness, readiness, Tuva EMPI's health path, metrics and job status.
#pragma once

#include "carehub/db.hpp"
#include "carehub/jobs.hpp"
#include "carehub/metrics.hpp"
#include "carehub/router.hpp"

namespace carehub {

struct CoreRouteOptions {
  bool metrics_from_loopback = true;  // server.metrics_from_loopback
};

void register_core_routes(Router& router, Database& db, JobQueue& jobs, Metrics& metrics,
                          CoreRouteOptions options = {});

}  // namespace carehub
