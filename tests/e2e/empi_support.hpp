// Shared by the end-to-end tests that import person records: the multipart upload of a CSV,
// waiting for a job, and rows of the FEBRL sample.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "support/signed_in_server.hpp"

namespace carehub::test::empi {

inline const std::string kImportBoundary = "carehub-test-boundary-7d1f";

// A multipart/form-data body (boundary kImportBoundary) with config_id and the CSV as "file".
std::string import_form(const std::string& csv, const std::string& config_id);
// POST /api/v1/person-records/import of csv with config_id.
HttpResponse import(HttpClient& http, const std::string& token, const std::string& csv,
                    const std::string& config_id);
// Polls the job (up to 60 s) until it succeeded, died or was cancelled; fails the test otherwise.
nlohmann::json wait_for_job(HttpClient& http, const std::string& token, const std::string& id);
// The header and the first `records` rows of febrl_clean.csv.
std::string febrl_head(int records);

}  // namespace carehub::test::empi
