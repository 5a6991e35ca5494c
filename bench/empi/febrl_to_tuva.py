#!/usr/bin/env python3
"""Converts an original FEBRL file (rec_id, given_name, surname, street_number, address_1,
address_2, suburb, postcode, state, date_of_birth, soc_sec_id) into Tuva EMPI's import CSV, the
way ../shared/data/empi/febrl_clean.csv was made: address = street number and address_1, city =
suburb, the FEBRL record id as source_person_id.

    python3 bench/empi/febrl_to_tuva.py IN.csv OUT.csv [DATA_SOURCE]
"""
import csv
import sys

COLUMNS = ["data_source", "source_person_id", "first_name", "last_name", "sex", "race",
           "birth_date", "death_date", "social_security_number", "address", "city", "state",
           "zip_code", "county", "phone"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    source = sys.argv[3] if len(sys.argv) > 3 else "febrl"
    with open(sys.argv[1], newline="") as f_in, open(sys.argv[2], "w", newline="") as f_out:
        reader = csv.reader(f_in, skipinitialspace=True)
        header = [h.strip() for h in next(reader)]
        at = {name: i for i, name in enumerate(header)}
        writer = csv.writer(f_out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in reader:
            if not row:
                continue
            get = lambda name: row[at[name]].strip() if at.get(name, 99) < len(row) else ""
            address = " ".join(p for p in (get("street_number"), get("address_1")) if p)
            writer.writerow([source, get("rec_id"), get("given_name"), get("surname"), "", "",
                             get("date_of_birth"), "", get("soc_sec_id"), address, get("suburb"),
                             get("state"), get("postcode"), "", ""])


if __name__ == "__main__":
    main()
