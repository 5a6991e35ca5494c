// The master patient index as other modules see it: a patient seen by one module (a DICOM study's
// patient) is handed over so the patient joins the index. The EMPI module installs the one
// implementation; without it the slot stays empty and nothing happens.
#pragma once

#include <string>

#include "carehub/db.hpp"

namespace carehub {

struct PatientDemographics {
  std::string data_source;       // where the patient was seen, e.g. "dicom:CT_SCANNER_1"
  std::string source_person_id;  // the patient's id there
  std::string first_name, last_name;
  std::string sex;         // as the source says it ("F", "M", "O", "female", ...)
  std::string birth_date;  // YYYYMMDD or YYYY-MM-DD; "" when unknown
};

class PatientIndex {
 public:
  virtual ~PatientIndex() = default;
  // Inside the caller's unit of work: the patient is in the index exactly when the caller's
  // change commits. Matching the patient with others may happen later (a job). Invalid values
  // are dropped, never a reason to fail the caller.
  virtual void submit(Tx& tx, const PatientDemographics& patient) = 0;
};

}  // namespace carehub
