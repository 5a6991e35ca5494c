// What the empi handlers share: versions, comments and Tuva's record filters read from a request.
#include "carehub/error.hpp"
#include "carehub/text_check.hpp"
#include "empi/routes.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kMaxCommentBytes = 4000;

}  // namespace

int json_version(const nlohmann::json& value, std::string_view what) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
      value.get<std::int64_t>() > INT32_MAX) {
    throw ApiError(ErrorCode::kValidationFailed,
                   "'" + std::string(what) + "' (the version you saw) must be an integer version");
  }
  return value.get<int>();
}

std::optional<std::string> json_comment(const nlohmann::json& value, std::string_view what) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_string() || value.get_ref<const std::string&>().size() > kMaxCommentBytes) {
    throw ApiError(ErrorCode::kValidationFailed, "'" + std::string(what) +
                                                     "' must be a string of at most " +
                                                     std::to_string(kMaxCommentBytes) + " bytes");
  }
  require_text(what, value.get_ref<const std::string&>(), TextKind::kLines);  // a note: lines
  return value.get<std::string>();
}

RecordFilters record_filters(const Request& req) {
  RecordFilters filters;
  for (const char* name :
       {"first_name", "last_name", "birth_date", "source_person_id", "data_source"}) {
    auto v = req.query_param(name);
    if (!v || v->empty()) continue;
    require_text(name, *v, TextKind::kLine);
    auto value = normalize_value(*column_index(name), *v);
    // A value that does not normalise (a birth date half typed: "1987-0") is looked for as the
    // start of the stored text, not refused: a search box is typed into.
    if (value) {
      filters.push_back({name, std::move(value).value(), false});
    } else {
      filters.push_back({name, std::string(*v), true});
    }
  }
  return filters;
}

}  // namespace carehub::empi
