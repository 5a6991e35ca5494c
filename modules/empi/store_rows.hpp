// Rows of the EMPI tables as the store's own files read them (store.cpp, store_search.cpp): one
// place for each column list.
#pragma once

#include "carehub/db.hpp"
#include "empi/store.hpp"

namespace carehub::empi {

// From "id, uuid, version, record_count, created_at_ms, updated_at_ms" of empi_persons.
PersonRow person_from_row(const Row& row);

// The record columns every record query selects, in record_from_row's order.
extern const char* const kRecordSelect;
// From kRecordSelect's columns, starting at column 0.
StoredRecord record_from_row(const Row& row);

}  // namespace carehub::empi
